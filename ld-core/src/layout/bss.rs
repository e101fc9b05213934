use super::LinkInput;
use crate::error::{Error, Result};
use crate::resolve::SymDef;

/// A copy relocation is refused for a protected symbol (its library would
/// keep using its own copy), under `-z nocopyreloc`, and for an undefined
/// symbol.
pub(super) fn copy_relocation_errors(inp: &LinkInput, needs_copy: &[bool]) -> Result<()> {
    let res = inp.res;
    let mut errors = Vec::new();
    for (id, _) in needs_copy.iter().enumerate().filter(|(_, &c)| c) {
        let s = &res.symbols[id];
        if s.def == SymDef::Undefined {
            // An undefined weak symbol left to the dynamic linker (-z
            // dynamic-undefined-weak) has no size to copy: the code must
            // take its address through the GOT.
            errors.push(format!(
                "cannot create a copy relocation for {} (an undefined weak symbol under -z dynamic-undefined-weak); recompile with -fPIE or -fPIC",
                s.name_str()
            ));
            continue;
        }
        let SymDef::Shared { file, sym } = s.def else {
            continue;
        };
        let lib = &res.shared[file as usize].file;
        if lib.symbols[sym as usize].protected {
            errors.push(format!(
                "cannot create a copy relocation for protected symbol {}, defined in {}; recompile with -fPIC",
                s.name_str(),
                lib.name
            ));
        } else if inp.opts.no_copy_reloc {
            errors.push(format!(
                "cannot create a copy relocation for {} (-z nocopyreloc), defined in {}; recompile with -fPIC",
                s.name_str(),
                lib.name
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::new(errors.join("\n")))
    }
}
