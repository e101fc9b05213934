//! Everything x86-64, behind `arch::Arch` (`X86_64`): how each relocation
//! type is handled for a given target and output kind (`decide`), the
//! instruction rewrites of GOT and TLS relaxation, the PLT code, the
//! dynamic relocation types, TLS variant II's thread pointer, the GNU
//! property rules. The scan pass and the write pass both call `decide`, so
//! what was sized is exactly what is written.

use crate::arch::{Arch, RelocAction};
use crate::arch::{DecideCtx, Needs, RelocValues, TargetProps, TlsValue};
use crate::error::Result;
use object::elf::*;

const PLT_HEADER_SIZE: u64 = 16;
const PLT_ENTRY_SIZE: u64 = 16;
const PAGE_SIZE: u64 = 4096;

/// The x86-64 architecture (`arch::Native`).
pub struct X86_64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    W8,
    W4U,
    W4S,
    W2,
    W1,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    None,
    /// S + A.
    Abs(Width),
    /// 64-bit address in an allocated section that needs a dynamic relocation
    /// (RELATIVE for local targets in PIC output, symbolic for imports).
    Abs64Dyn,
    /// S + A - P.
    Pc(Width),
    /// PLT entry (or S when there is none) + A - P.
    PltPc,
    /// GOT slot + A - P.
    GotPc(Width),
    /// `mov foo@GOTPCREL(%rip), %reg` -> `lea foo(%rip), %reg`.
    GotRelaxLea,
    /// `call *foo@GOTPCREL(%rip)` -> `addr32 call foo`.
    GotRelaxCall,
    /// `jmp *foo@GOTPCREL(%rip)` -> `jmp foo; nop`.
    GotRelaxJmp,
    /// GOT base + A - P (`R_X86_64_GOTPC32/64`).
    GotBasePc(Width),
    /// S + A - GOT base.
    GotOff(Width),
    /// GOT slot + A - GOT base.
    GotSlotOff(Width),
    /// S + A - TP.
    Tpoff(Width),
    /// TP-offset GOT slot + A - P.
    GotTpPc,
    IeToLe,
    GdToLe,
    GdToIe,
    LdToLe,
    /// The large code model's general-dynamic sequence (`lea; movabs
    /// $__tls_get_addr@pltoff, %rax; add %rbx/%r15, %rax; call *%rax`,
    /// 22 bytes from `off - 3`) relaxed to local-exec.
    GdToLeLarge,
    /// The same relaxed to initial-exec.
    GdToIeLarge,
    /// The large code model's local-dynamic sequence relaxed to local-exec.
    LdToLeLarge,
    /// PLT entry (or S when there is none) + A - GOT base
    /// (`R_X86_64_PLTOFF64`, the large code model's calls).
    PltOff,
    /// TP-relative offset of a TLS symbol (`x@dtpoff` in executables, where
    /// local-dynamic code was relaxed to local-exec).
    Dtpoff(Width),
    /// Offset of a TLS symbol within its module's TLS block (shared
    /// libraries, and debug info).
    DtpRel(Width),
    /// General-dynamic GOT pair (module, offset) + A - P.
    TlsGdPc,
    /// Local-dynamic GOT pair (module, 0) + A - P.
    TlsLdPc,
    /// TLS descriptor GOT pair + A - P.
    TlsDescPc,
    /// Symbol size + A.
    Size(Width),
    TlsdescToLe,
    TlsdescToIe,
    TlsdescCallNop,
}

fn byte(bytes: &[u8], i: i64) -> Option<u8> {
    if i < 0 {
        None
    } else {
        bytes.get(i as usize).copied()
    }
}

/// True if the TLSGD/TLSLD relocation at `off` starts the large code
/// model's sequence: `lea x@tlsgd(%rip), %rdi` (`48 8d 3d`), `movabs
/// $__tls_get_addr@pltoff, %rax` (`48 b8`), `add %rbx|%r15, %rax`, `call
/// *%rax` (`ff d0`): 22 bytes from `off - 3`.
fn large_model_tls_call(bytes: &[u8], off: i64) -> bool {
    off >= 3
        && bytes.get((off - 3) as usize..off as usize) == Some(&[0x48, 0x8d, 0x3d][..])
        && bytes.get((off + 4) as usize..(off + 6) as usize) == Some(&[0x48, 0xb8][..])
        && matches!(
            bytes.get((off + 14) as usize..(off + 19) as usize),
            Some([0x48, 0x01, 0xd8, 0xff, 0xd0]) | Some([0x4c, 0x01, 0xf8, 0xff, 0xd0])
        )
}

/// The width in bytes of a plain absolute relocation (S + A, no checks) in
/// a non-allocated section: what nearly every debug-section relocation is.
/// `decide` gives these `Action::Abs` whatever the target; the writer takes
/// them on a short path.
fn non_alloc_abs_width(rtype: u32) -> Option<usize> {
    match rtype {
        R_X86_64_64 => Some(8),
        R_X86_64_32 => Some(4),
        _ => None,
    }
}

/// Decide how a relocation of type `rtype` at `off` in a section with
/// contents `bytes` is handled.
fn decide(
    ctx: &DecideCtx,
    rtype: u32,
    t: TargetProps,
    alloc: bool,
    writable: bool,
    bytes: &[u8],
    off: u64,
) -> Result<(Action, Needs), String> {
    let mut n = Needs::default();
    let off = off as i64;
    let a = match rtype {
        R_X86_64_NONE => Action::None,
        R_X86_64_64 => {
            if !alloc {
                Action::Abs(Width::W8)
            } else if t.imported {
                if t.is_func && !ctx.pic {
                    // A function pointer in non-PIC output: the canonical PLT
                    // entry is the function's address everywhere, as in GNU ld.
                    n.plt = true;
                    n.canonical_plt = true;
                    Action::Abs(Width::W8)
                } else if writable || ctx.pic {
                    n.dyn_reloc = true;
                    Action::Abs64Dyn
                } else {
                    // Read-only, non-PIC: give the symbol a fixed address here.
                    if t.is_func {
                        n.plt = true;
                        n.canonical_plt = true;
                    } else {
                        n.copy = true;
                    }
                    Action::Abs(Width::W8)
                }
            } else {
                if t.ifunc {
                    n.plt = true;
                }
                if ctx.pic && !t.absolute {
                    n.dyn_reloc = true;
                    Action::Abs64Dyn
                } else {
                    Action::Abs(Width::W8)
                }
            }
        }
        R_X86_64_32 | R_X86_64_32S | R_X86_64_16 | R_X86_64_8 => {
            if alloc && ctx.pic && !t.absolute {
                let what = if ctx.exec {
                    "a position-independent executable; recompile with -fPIE"
                } else {
                    "a shared object; recompile with -fPIC"
                };
                return Err(format!(
                    "relocation {} cannot be used when making {what}",
                    rel_name(rtype)
                ));
            }
            if alloc {
                note_address_use(ctx, rtype, &t, &mut n)?;
            }
            Action::Abs(match rtype {
                R_X86_64_32 => Width::W4U,
                R_X86_64_32S => Width::W4S,
                R_X86_64_16 => Width::W2,
                _ => Width::W1,
            })
        }
        R_X86_64_PC32 | R_X86_64_PC64 | R_X86_64_PC16 | R_X86_64_PC8 => {
            if alloc {
                note_address_use(ctx, rtype, &t, &mut n)?;
            }
            Action::Pc(match rtype {
                R_X86_64_PC64 => Width::W8,
                R_X86_64_PC32 => Width::W4S,
                R_X86_64_PC16 => Width::W2,
                _ => Width::W1,
            })
        }
        R_X86_64_PLT32 => {
            if t.imported || t.ifunc {
                n.plt = true;
            }
            Action::PltPc
        }
        R_X86_64_GOTPCREL | R_X86_64_GOTPCRELX | R_X86_64_REX_GOTPCRELX => {
            let relaxable = !(ctx.no_relax
                || rtype == R_X86_64_GOTPCREL
                || t.imported
                || t.ifunc
                || (t.absolute && ctx.pic));
            let op = byte(bytes, off - 2);
            let modrm = byte(bytes, off - 1);
            if relaxable && op == Some(0x8b) {
                Action::GotRelaxLea
            } else if relaxable
                && rtype == R_X86_64_GOTPCRELX
                && op == Some(0xff)
                && modrm == Some(0x15)
            {
                Action::GotRelaxCall
            } else if relaxable
                && rtype == R_X86_64_GOTPCRELX
                && op == Some(0xff)
                && modrm == Some(0x25)
            {
                Action::GotRelaxJmp
            } else {
                n.got = true;
                if t.ifunc {
                    n.plt = true;
                }
                Action::GotPc(Width::W4S)
            }
        }
        R_X86_64_GOTPCREL64 => {
            n.got = true;
            Action::GotPc(Width::W8)
        }
        R_X86_64_GOTPC32 => Action::GotBasePc(Width::W4S),
        R_X86_64_GOTPC64 => Action::GotBasePc(Width::W8),
        R_X86_64_GOTOFF64 => {
            if t.imported && !ctx.exec {
                return Err(
                    "R_X86_64_GOTOFF64 against a preemptible symbol cannot be used in a shared object; recompile with -fPIC or make the symbol hidden"
                        .into(),
                );
            }
            if t.imported {
                n.copy = !t.is_func;
                n.plt = t.is_func;
                n.canonical_plt = t.is_func;
            }
            Action::GotOff(Width::W8)
        }
        R_X86_64_GOT32 => {
            n.got = true;
            Action::GotSlotOff(Width::W4S)
        }
        // GOTPLT64 is GOT64 that also allows a PLT; the GOT slot serves.
        R_X86_64_GOT64 | R_X86_64_GOTPLT64 => {
            n.got = true;
            Action::GotSlotOff(Width::W8)
        }
        R_X86_64_PLTOFF64 => {
            if t.imported || t.ifunc {
                n.plt = true;
            }
            Action::PltOff
        }
        R_X86_64_SIZE32 => Action::Size(Width::W4U),
        R_X86_64_SIZE64 => Action::Size(Width::W8),
        // Thread-local storage.
        _ => decide_tls(ctx, rtype, t, alloc, bytes, off, &mut n)?,
    };
    Ok((a, n))
}

/// `decide` for the thread-local storage relocations: in an executable,
/// general- and local-dynamic sequences and TLS descriptors are relaxed
/// to initial- or local-exec (the code sequence is checked first); in a
/// shared object they need their GOT pairs.
fn decide_tls(
    ctx: &DecideCtx,
    rtype: u32,
    t: TargetProps,
    alloc: bool,
    bytes: &[u8],
    off: i64,
    n: &mut Needs,
) -> Result<Action, String> {
    let a = match rtype {
        R_X86_64_TPOFF32 => {
            if !ctx.exec {
                return Err("R_X86_64_TPOFF32 (local-exec TLS) cannot be used in a shared library; recompile with -fPIC".into());
            }
            Action::Tpoff(Width::W4S)
        }
        R_X86_64_TPOFF64 => Action::Tpoff(Width::W8),
        R_X86_64_GOTTPOFF => {
            let rex = byte(bytes, off - 3);
            let op = byte(bytes, off - 2);
            let modrm = byte(bytes, off - 1);
            let ie_pattern = matches!(rex, Some(0x48) | Some(0x4c))
                && matches!(op, Some(0x8b) | Some(0x03))
                && modrm.is_some_and(|m| m & 0xc7 == 0x05);
            if ctx.exec && !t.imported && ie_pattern {
                Action::IeToLe
            } else {
                n.gottp = true;
                Action::GotTpPc
            }
        }
        R_X86_64_TLSGD if !ctx.exec => {
            n.tlsgd = true;
            Action::TlsGdPc
        }
        R_X86_64_TLSGD if large_model_tls_call(bytes, off) => {
            n.skip_next = true;
            if t.imported {
                n.gottp = true;
                Action::GdToIeLarge
            } else {
                Action::GdToLeLarge
            }
        }
        R_X86_64_TLSGD => {
            let lea = [0x66, 0x48, 0x8d, 0x3d];
            let ok = off >= 4
                && bytes.get((off - 4) as usize..off as usize) == Some(&lea[..])
                && bytes.len() as i64 >= off + 12;
            if !ok {
                return Err(
                    "R_X86_64_TLSGD is not followed by the expected general-dynamic code sequence"
                        .into(),
                );
            }
            n.skip_next = true;
            if t.imported {
                n.gottp = true;
                Action::GdToIe
            } else {
                Action::GdToLe
            }
        }
        R_X86_64_TLSLD if !ctx.exec => {
            n.tlsld = true;
            Action::TlsLdPc
        }
        R_X86_64_TLSLD if large_model_tls_call(bytes, off) => {
            n.skip_next = true;
            Action::LdToLeLarge
        }
        R_X86_64_TLSLD => {
            let ok = off >= 3
                && bytes.get((off - 3) as usize..off as usize) == Some(&[0x48, 0x8d, 0x3d][..])
                && bytes.len() as i64 >= off + 9;
            if !ok {
                return Err(
                    "R_X86_64_TLSLD is not followed by the expected local-dynamic code sequence"
                        .into(),
                );
            }
            n.skip_next = true;
            Action::LdToLe
        }
        R_X86_64_DTPOFF32 | R_X86_64_DTPOFF64 => {
            let w = if rtype == R_X86_64_DTPOFF32 {
                Width::W4S
            } else {
                Width::W8
            };
            if ctx.exec && alloc {
                Action::Dtpoff(w)
            } else {
                Action::DtpRel(w)
            }
        }
        R_X86_64_GOTPC32_TLSDESC if !ctx.exec || ctx.keep_tlsdesc => {
            n.tlsdesc = true;
            Action::TlsDescPc
        }
        R_X86_64_TLSDESC_CALL if !ctx.exec || ctx.keep_tlsdesc => Action::None,
        R_X86_64_GOTPC32_TLSDESC => {
            if !(off >= 3 && matches!(byte(bytes, off - 2), Some(0x8d))) {
                return Err("R_X86_64_GOTPC32_TLSDESC is not on a lea instruction".into());
            }
            if t.imported {
                n.gottp = true;
                Action::TlsdescToIe
            } else {
                Action::TlsdescToLe
            }
        }
        R_X86_64_TLSDESC_CALL => Action::TlsdescCallNop,
        other => return Err(format!("unsupported relocation type {}", rel_name(other))),
    };
    Ok(a)
}

/// A non-GOT reference to an address: imported functions get a canonical
/// PLT entry, imported data a copy relocation, IFUNCs their PLT entry.
/// A shared object can do neither for a preemptible symbol.
fn note_address_use(
    ctx: &DecideCtx,
    rtype: u32,
    t: &TargetProps,
    n: &mut Needs,
) -> Result<(), String> {
    if t.imported && !ctx.exec {
        return Err(format!(
            "relocation {} against a preemptible symbol cannot be used when making a shared object; recompile with -fPIC (or make the symbol hidden, or link with -Bsymbolic)",
            rel_name(rtype)
        ));
    }
    if t.imported {
        if t.is_func {
            n.plt = true;
            n.canonical_plt = true;
        } else {
            n.copy = true;
        }
    } else if t.ifunc {
        n.plt = true;
    }
    Ok(())
}

fn put(buf: &mut [u8], off: usize, w: Width, v: i128, check: bool) -> Result<(), String> {
    let range = match w {
        Width::W8 => None,
        Width::W4U => Some((0, u32::MAX as i128)),
        Width::W4S => Some((i32::MIN as i128, i32::MAX as i128)),
        Width::W2 => Some((i16::MIN as i128, u16::MAX as i128)),
        Width::W1 => Some((i8::MIN as i128, u8::MAX as i128)),
    };
    if let Some((lo, hi)) = range.filter(|_| check) {
        if !(lo..=hi).contains(&v) {
            // The caller names the relocation and its target around this.
            return Err(format!("out of range: {v} is not in [{lo}, {hi}]"));
        }
    }
    let n = match w {
        Width::W8 => 8,
        Width::W4U | Width::W4S => 4,
        Width::W2 => 2,
        Width::W1 => 1,
    };
    let dst = buf
        .get_mut(off..off + n)
        .ok_or_else(|| "relocation is past the end of its section".to_string())?;
    crate::write::store_le(dst, v as u64);
    Ok(())
}

impl Action {
    /// Whether `apply` may read a GOT slot of the target (`RelocValues`'
    /// `got`, `gottp`, `tlsgd`, `tlsdesc`, `tlsld`): the writer looks them
    /// up only then (a local symbol's are in a hash table).
    pub fn reads_got_slots(self) -> bool {
        !matches!(
            self,
            Action::None
                | Action::Abs(_)
                | Action::Abs64Dyn
                | Action::Pc(_)
                | Action::PltPc
                | Action::GotRelaxLea
                | Action::GotRelaxCall
                | Action::GotRelaxJmp
                | Action::GotBasePc(_)
                | Action::GotOff(_)
                | Action::Tpoff(_)
                | Action::IeToLe
                | Action::GdToLe
                | Action::LdToLe
                | Action::GdToLeLarge
                | Action::LdToLeLarge
                | Action::PltOff
                | Action::Dtpoff(_)
                | Action::DtpRel(_)
                | Action::Size(_)
                | Action::TlsdescToLe
                | Action::TlsdescCallNop
        )
    }
}

/// Apply `action` at `off` of `buf` (the section's output bytes, at address
/// `sec_addr`). `a` is the addend. Checks overflow on allocated sections.
fn apply(
    action: Action,
    buf: &mut [u8],
    off: u64,
    sec_addr: u64,
    a: i64,
    v: &RelocValues,
    alloc: bool,
) -> Result<(), String> {
    let p = sec_addr.wrapping_add(off) as i128;
    let o = off as usize;
    let a = a as i128;
    let s = v.s as i128;
    let tp = v.tp as i128;
    let need = |x: Option<u64>, what: &str| {
        x.map(|x| x as i128)
            .ok_or_else(|| format!("internal error: no {what} entry"))
    };
    // The bytes around the place that a rewrite touches (`put` checks its
    // own): an input can put the place at the very start or end of its
    // section, and `decide` looked only at some of them.
    let (before, after) = match action {
        Action::GotRelaxLea | Action::GotRelaxCall | Action::GotRelaxJmp | Action::TlsdescToIe => {
            (2, 4)
        }
        Action::IeToLe | Action::TlsdescToLe => (3, 4),
        Action::GdToLe | Action::GdToIe => (4, 12),
        Action::GdToLeLarge | Action::GdToIeLarge | Action::LdToLeLarge => (3, 19),
        Action::LdToLe => (3, if buf.get(o + 4) == Some(&0xff) { 10 } else { 9 }),
        Action::TlsdescCallNop => (0, 2),
        _ => (0, 0),
    };
    if o < before {
        return Err("relocation's instruction starts before its section".into());
    }
    if o.checked_add(after).is_none_or(|end| end > buf.len()) {
        return Err("relocation is past the end of its section".into());
    }
    match action {
        Action::None => {}
        Action::Abs(w) => put(buf, o, w, s + a, alloc)?,
        // The dynamic relocation carries the value; the place holds it too,
        // for readers that ignore RELA addends.
        Action::Abs64Dyn => put(buf, o, Width::W8, s + a, false)?,
        Action::Pc(w) => put(buf, o, w, s + a - p, alloc)?,
        Action::PltPc => {
            let target = v.plt.map(|x| x as i128).unwrap_or(s);
            put(buf, o, Width::W4S, target + a - p, true)?
        }
        Action::GotPc(w) => put(buf, o, w, need(v.got, "GOT")? + a - p, true)?,
        Action::GotRelaxLea => {
            buf[o - 2] = 0x8d;
            put(buf, o, Width::W4S, s + a - p, true)?
        }
        Action::GotRelaxCall => {
            buf[o - 2] = 0x67; // addr32 prefix keeps the length
            buf[o - 1] = 0xe8;
            put(buf, o - 1 + 1, Width::W4S, s + a - p, true)?
        }
        Action::GotRelaxJmp => {
            buf[o - 2] = 0xe9;
            buf[o + 3] = 0x90;
            // The displacement now starts one byte earlier, and the
            // instruction ends one byte earlier too: both shift by one.
            put(buf, o - 1, Width::W4S, s + a - (p - 1), true)?
        }
        Action::GotBasePc(w) => put(buf, o, w, v.got_base as i128 + a - p, true)?,
        Action::GotOff(w) => put(buf, o, w, s + a - v.got_base as i128, true)?,
        Action::GotSlotOff(w) => put(
            buf,
            o,
            w,
            need(v.got, "GOT")? + a - v.got_base as i128,
            true,
        )?,
        Action::Tpoff(w) => put(buf, o, w, s + a - tp, true)?,
        Action::GotTpPc => put(buf, o, Width::W4S, need(v.gottp, "TLS GOT")? + a - p, true)?,
        Action::IeToLe => {
            let rex = buf[o - 3];
            let op = buf[o - 2];
            let reg = (buf[o - 1] >> 3) & 7;
            // mov/add foo@gottpoff(%rip), %reg -> mov/add $tpoff, %reg
            buf[o - 3] = if rex == 0x4c { 0x49 } else { 0x48 };
            if op == 0x8b {
                buf[o - 2] = 0xc7;
            } else {
                buf[o - 2] = 0x81;
            }
            buf[o - 1] = 0xc0 | reg;
            put(buf, o, Width::W4S, s + a + 4 - tp, true)?
        }
        Action::GdToLe => {
            // 16 bytes from off-4: mov %fs:0,%rax; lea x@tpoff(%rax),%rax
            let code: [u8; 12] = [0x64, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0, 0x48, 0x8d, 0x80];
            buf[o - 4..o + 8].copy_from_slice(&code);
            put(buf, o + 8, Width::W4S, s - tp, true)?
        }
        Action::GdToIe => {
            // mov %fs:0,%rax; add x@gottpoff(%rip),%rax
            let code: [u8; 12] = [0x64, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0, 0x48, 0x03, 0x05];
            buf[o - 4..o + 8].copy_from_slice(&code);
            put(
                buf,
                o + 8,
                Width::W4S,
                need(v.gottp, "TLS GOT")? - (p + 12),
                true,
            )?
        }
        Action::LdToLe => {
            // lea x@tlsld(%rip),%rdi; call __tls_get_addr -> mov %fs:0,%rax (padded)
            let call_is_indirect = buf.get(o + 4) == Some(&0xff);
            let code: [u8; 12] = [0x66, 0x66, 0x66, 0x64, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0];
            buf[o - 3..o + 9].copy_from_slice(&code);
            if call_is_indirect {
                buf[o + 9] = 0x90;
            }
        }
        Action::GdToLeLarge => {
            // mov %fs:0,%rax; lea x@tpoff(%rax),%rax; a 6-byte nop.
            let code: [u8; 22] = [
                0x64, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0, 0x48, 0x8d, 0x80, 0, 0, 0, 0, 0x66, 0x0f,
                0x1f, 0x44, 0, 0,
            ];
            buf[o - 3..o + 19].copy_from_slice(&code);
            put(buf, o + 9, Width::W4S, s - tp, true)?
        }
        Action::GdToIeLarge => {
            // mov %fs:0,%rax; add x@gottpoff(%rip),%rax; a 6-byte nop.
            let code: [u8; 22] = [
                0x64, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0, 0x48, 0x03, 0x05, 0, 0, 0, 0, 0x66, 0x0f,
                0x1f, 0x44, 0, 0,
            ];
            buf[o - 3..o + 19].copy_from_slice(&code);
            // The add ends 16 bytes after the sequence's start (p - 3).
            let end = p - 3 + 16;
            put(
                buf,
                o + 9,
                Width::W4S,
                need(v.gottp, "TLS GOT")? - end,
                true,
            )?
        }
        Action::LdToLeLarge => {
            // mov %fs:0,%rax (with prefixes, 12 bytes); a 10-byte nop.
            let code: [u8; 22] = [
                0x66, 0x66, 0x66, 0x64, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0, 0x66, 0x2e, 0x0f, 0x1f,
                0x84, 0, 0, 0, 0, 0,
            ];
            buf[o - 3..o + 19].copy_from_slice(&code);
        }
        Action::PltOff => {
            let target = v.plt.map(|x| x as i128).unwrap_or(s);
            put(buf, o, Width::W8, target + a - v.got_base as i128, true)?
        }
        Action::Dtpoff(w) => put(buf, o, w, s + a - tp, true)?,
        Action::DtpRel(w) => put(buf, o, w, s + a - v.tls_start as i128, true)?,
        Action::TlsGdPc => put(buf, o, Width::W4S, need(v.tlsgd, "TLS GD")? + a - p, true)?,
        Action::TlsLdPc => put(buf, o, Width::W4S, need(v.tlsld, "TLS LD")? + a - p, true)?,
        Action::TlsDescPc => put(
            buf,
            o,
            Width::W4S,
            need(v.tlsdesc, "TLS descriptor")? + a - p,
            true,
        )?,
        Action::Size(w) => put(buf, o, w, v.size as i128 + a, true)?,
        Action::TlsdescToLe => {
            let rex = buf[o - 3];
            let reg = (buf[o - 1] >> 3) & 7;
            buf[o - 3] = if rex == 0x4c { 0x49 } else { 0x48 };
            buf[o - 2] = 0xc7;
            buf[o - 1] = 0xc0 | reg;
            put(buf, o, Width::W4S, s - tp, true)?
        }
        Action::TlsdescToIe => {
            buf[o - 2] = 0x8b;
            put(buf, o, Width::W4S, need(v.gottp, "TLS GOT")? + a - p, true)?
        }
        Action::TlsdescCallNop => {
            buf[o] = 0x66;
            buf[o + 1] = 0x90;
        }
    }
    Ok(())
}

/// The lazy-binding PLT header: push GOT[1]; jmp *GOT[2].
fn write_plt_header(buf: &mut [u8], plt_addr: u64, gotplt_addr: u64) {
    let d1 = (gotplt_addr + 8) as i64 - (plt_addr + 6) as i64;
    let d2 = (gotplt_addr + 16) as i64 - (plt_addr + 12) as i64;
    buf[0..2].copy_from_slice(&[0xff, 0x35]);
    buf[2..6].copy_from_slice(&(d1 as i32).to_le_bytes());
    buf[6..8].copy_from_slice(&[0xff, 0x25]);
    buf[8..12].copy_from_slice(&(d2 as i32).to_le_bytes());
    buf[12..16].copy_from_slice(&[0x0f, 0x1f, 0x40, 0x00]);
}

/// A PLT entry: jmp *slot; push index; jmp PLT0.
fn write_plt_entry(buf: &mut [u8], entry_addr: u64, slot_addr: u64, index: u32, plt0: u64) {
    let d = slot_addr as i64 - (entry_addr + 6) as i64;
    buf[0..2].copy_from_slice(&[0xff, 0x25]);
    buf[2..6].copy_from_slice(&(d as i32).to_le_bytes());
    buf[6] = 0x68;
    buf[7..11].copy_from_slice(&index.to_le_bytes());
    buf[11] = 0xe9;
    let d2 = plt0 as i64 - (entry_addr + 16) as i64;
    buf[12..16].copy_from_slice(&(d2 as i32).to_le_bytes());
}

/// An IFUNC PLT entry (no lazy binding): jmp *slot; padding.
fn write_iplt_entry(buf: &mut [u8], entry_addr: u64, slot_addr: u64) {
    let d = slot_addr as i64 - (entry_addr + 6) as i64;
    buf[0..2].copy_from_slice(&[0xff, 0x25]);
    buf[2..6].copy_from_slice(&(d as i32).to_le_bytes());
    buf[6..16].copy_from_slice(&[0x66, 0x0f, 0x1f, 0x44, 0, 0, 0x66, 0x90, 0x66, 0x90]);
}

fn rel_name(t: u32) -> String {
    let n = match t {
        R_X86_64_NONE => "R_X86_64_NONE",
        R_X86_64_64 => "R_X86_64_64",
        R_X86_64_PC32 => "R_X86_64_PC32",
        R_X86_64_GOT32 => "R_X86_64_GOT32",
        R_X86_64_PLT32 => "R_X86_64_PLT32",
        R_X86_64_COPY => "R_X86_64_COPY",
        R_X86_64_GLOB_DAT => "R_X86_64_GLOB_DAT",
        R_X86_64_JUMP_SLOT => "R_X86_64_JUMP_SLOT",
        R_X86_64_RELATIVE => "R_X86_64_RELATIVE",
        R_X86_64_GOTPCREL => "R_X86_64_GOTPCREL",
        R_X86_64_32 => "R_X86_64_32",
        R_X86_64_32S => "R_X86_64_32S",
        R_X86_64_16 => "R_X86_64_16",
        R_X86_64_PC16 => "R_X86_64_PC16",
        R_X86_64_8 => "R_X86_64_8",
        R_X86_64_PC8 => "R_X86_64_PC8",
        R_X86_64_DTPMOD64 => "R_X86_64_DTPMOD64",
        R_X86_64_DTPOFF64 => "R_X86_64_DTPOFF64",
        R_X86_64_TPOFF64 => "R_X86_64_TPOFF64",
        R_X86_64_TLSGD => "R_X86_64_TLSGD",
        R_X86_64_TLSLD => "R_X86_64_TLSLD",
        R_X86_64_DTPOFF32 => "R_X86_64_DTPOFF32",
        R_X86_64_GOTTPOFF => "R_X86_64_GOTTPOFF",
        R_X86_64_TPOFF32 => "R_X86_64_TPOFF32",
        R_X86_64_PC64 => "R_X86_64_PC64",
        R_X86_64_GOTOFF64 => "R_X86_64_GOTOFF64",
        R_X86_64_GOTPC32 => "R_X86_64_GOTPC32",
        R_X86_64_GOT64 => "R_X86_64_GOT64",
        R_X86_64_GOTPCREL64 => "R_X86_64_GOTPCREL64",
        R_X86_64_GOTPC64 => "R_X86_64_GOTPC64",
        R_X86_64_GOTPLT64 => "R_X86_64_GOTPLT64",
        R_X86_64_PLTOFF64 => "R_X86_64_PLTOFF64",
        R_X86_64_SIZE32 => "R_X86_64_SIZE32",
        R_X86_64_SIZE64 => "R_X86_64_SIZE64",
        R_X86_64_GOTPC32_TLSDESC => "R_X86_64_GOTPC32_TLSDESC",
        R_X86_64_TLSDESC_CALL => "R_X86_64_TLSDESC_CALL",
        R_X86_64_TLSDESC => "R_X86_64_TLSDESC",
        R_X86_64_IRELATIVE => "R_X86_64_IRELATIVE",
        R_X86_64_GOTPCRELX => "R_X86_64_GOTPCRELX",
        R_X86_64_REX_GOTPCRELX => "R_X86_64_REX_GOTPCRELX",
        _ => return format!("{t}"),
    };
    n.to_string()
}

/// `props` with the ISA level bits `isa_needed` (`-z x86-64-vN`) and the
/// shadow-stack bit (`-z shstk`) added, whatever the inputs said.
fn force_gnu_properties(
    mut props: Vec<(u32, u32)>,
    isa_needed: u32,
    shstk: bool,
) -> Vec<(u32, u32)> {
    for (t, bits) in [
        (GNU_PROPERTY_X86_ISA_1_NEEDED, isa_needed),
        (
            GNU_PROPERTY_X86_FEATURE_1_AND,
            if shstk {
                GNU_PROPERTY_X86_FEATURE_1_SHSTK
            } else {
                0
            },
        ),
    ] {
        if bits == 0 {
            continue;
        }
        match props.iter_mut().find(|p| p.0 == t) {
            Some(p) => p.1 |= bits,
            None => props.push((t, bits)),
        }
    }
    props.sort_unstable();
    props
}

/// The output's `.note.gnu.property`: the 4-byte properties of every
/// relocatable input, combined as the x86-64 psABI (and GNU ld) do:
/// - AND ranges (e.g. `FEATURE_1_AND`: IBT, SHSTK): a bit stays only if
///   every input sets it; an input without the property clears it;
/// - OR ranges (e.g. `ISA_1_NEEDED`): a bit set by any input;
/// - OR_AND ranges (e.g. `ISA_1_USED`): OR, kept only if every input has it.
///
/// Zero results and unknown types are dropped. IBT is dropped when the
/// output has PLT entries: cld's PLT has no `endbr64`, so marking it would
/// break under IBT enforcement. Returns (type, value) sorted by type.
fn combine_gnu_properties<'a>(
    inputs: impl Iterator<Item = Option<&'a [(u32, u32)]>>,
    has_plt: bool,
) -> Vec<(u32, u32)> {
    #[derive(PartialEq)]
    enum Rule {
        And,
        Or,
        OrAnd,
    }
    let rule = |t: u32| match t {
        GNU_PROPERTY_X86_UINT32_AND_LO..=GNU_PROPERTY_X86_UINT32_AND_HI
        | GNU_PROPERTY_UINT32_AND_LO..=GNU_PROPERTY_UINT32_AND_HI => Some(Rule::And),
        GNU_PROPERTY_X86_UINT32_OR_LO..=GNU_PROPERTY_X86_UINT32_OR_HI
        | GNU_PROPERTY_UINT32_OR_LO..=GNU_PROPERTY_UINT32_OR_HI => Some(Rule::Or),
        GNU_PROPERTY_X86_UINT32_OR_AND_LO..=GNU_PROPERTY_X86_UINT32_OR_AND_HI => Some(Rule::OrAnd),
        _ => None,
    };
    // type -> (combined value, number of inputs that had it)
    let mut acc: std::collections::BTreeMap<u32, (u32, usize)> = Default::default();
    let mut n_inputs = 0usize;
    for props in inputs {
        n_inputs += 1;
        for &(t, v) in props.unwrap_or(&[]) {
            let Some(r) = rule(t) else { continue };
            let e = acc
                .entry(t)
                .or_insert((if r == Rule::And { u32::MAX } else { 0 }, 0));
            e.0 = if r == Rule::And { e.0 & v } else { e.0 | v };
            e.1 += 1;
        }
    }
    acc.into_iter()
        .filter_map(|(t, (mut v, n))| {
            match rule(t)? {
                Rule::And | Rule::OrAnd if n < n_inputs => return None,
                _ => {}
            }
            if t == GNU_PROPERTY_X86_FEATURE_1_AND && has_plt {
                v &= !GNU_PROPERTY_X86_FEATURE_1_IBT;
            }
            (v != 0).then_some((t, v))
        })
        .collect()
}

impl RelocAction for Action {
    #[inline]
    fn reads_got_slots(self) -> bool {
        Action::reads_got_slots(self)
    }
    #[inline]
    fn is_dynamic_abs(self) -> bool {
        self == Action::Abs64Dyn
    }
    #[inline]
    fn tombstone_width(self) -> usize {
        match self {
            Action::Abs(Width::W8) => 8,
            _ => 4,
        }
    }
    #[inline]
    fn reads_size(self) -> bool {
        matches!(self, Action::Size(_))
    }
    #[inline]
    fn is_relaxed_got_load(self) -> bool {
        matches!(
            self,
            Action::GotRelaxLea | Action::GotRelaxCall | Action::GotRelaxJmp
        )
    }
    fn tls_value(self) -> Option<TlsValue> {
        // As `apply` writes them.
        let bytes = |w| match w {
            Width::W8 => Some(8),
            Width::W4S => Some(4),
            _ => None,
        };
        Some(match self {
            Action::Tpoff(w) | Action::Dtpoff(w) => TlsValue::FromTp {
                at: 0,
                width: bytes(w)?,
            },
            Action::IeToLe | Action::TlsdescToLe => TlsValue::FromTp { at: 0, width: 4 },
            Action::GdToLe => TlsValue::FromTp { at: 8, width: 4 },
            Action::GdToLeLarge => TlsValue::FromTp { at: 9, width: 4 },
            Action::DtpRel(w) => TlsValue::FromBlock {
                at: 0,
                width: bytes(w)?,
            },
            Action::LdToLe | Action::LdToLeLarge | Action::TlsdescCallNop => TlsValue::Fixed,
            _ => return None,
        })
    }
}

impl Arch for X86_64 {
    type Action = Action;

    const E_MACHINE: u16 = EM_X86_64;
    const DYNAMIC_LINKER: &'static str = "/lib64/ld-linux-x86-64.so.2";
    const MAX_PAGE_SIZE: u64 = 4096;
    const COMMON_PAGE_SIZE: u64 = PAGE_SIZE;
    const PLT_HEADER_SIZE: u64 = PLT_HEADER_SIZE;
    const PLT_ENTRY_SIZE: u64 = PLT_ENTRY_SIZE;
    // The entry's `push`, after its 6-byte `jmp *slot(%rip)`.
    const PLT_LAZY_OFFSET: u64 = 6;
    const R_ABS: u32 = R_X86_64_64;
    const R_RELATIVE: u32 = R_X86_64_RELATIVE;
    const R_GLOB_DAT: u32 = R_X86_64_GLOB_DAT;
    const R_JUMP_SLOT: u32 = R_X86_64_JUMP_SLOT;
    const R_IRELATIVE: u32 = R_X86_64_IRELATIVE;
    const R_COPY: u32 = R_X86_64_COPY;
    const R_TPOFF: u32 = R_X86_64_TPOFF64;
    const R_DTPMOD: u32 = R_X86_64_DTPMOD64;
    const R_DTPOFF: u32 = R_X86_64_DTPOFF64;
    const R_TLSDESC: u32 = R_X86_64_TLSDESC;
    const R_PC_RELAXED: u32 = R_X86_64_PC32;
    const BRANCH_ADDEND: i64 = -4;
    // endbr64; nopl 0x0(%rax).
    const LANDING_PAD: Option<[u8; 4]> = Some([0xf3, 0x0f, 0x1e, 0xfa]);
    const LANDING_PAD_NOP: [u8; 4] = [0x0f, 0x1f, 0x40, 0x00];

    #[inline]
    fn decide(
        ctx: &DecideCtx,
        rtype: u32,
        t: TargetProps,
        alloc: bool,
        writable: bool,
        bytes: &[u8],
        off: u64,
    ) -> Result<(Action, Needs), String> {
        decide(ctx, rtype, t, alloc, writable, bytes, off)
    }

    #[inline]
    fn apply(
        action: Action,
        buf: &mut [u8],
        off: u64,
        sec_addr: u64,
        a: i64,
        v: &RelocValues,
        alloc: bool,
    ) -> Result<(), String> {
        apply(action, buf, off, sec_addr, a, v, alloc)
    }

    #[inline]
    fn non_alloc_abs_width(rtype: u32) -> Option<usize> {
        non_alloc_abs_width(rtype)
    }

    /// `decide` gives these `Action::Pc(Width::W4S)` and `Action::PltPc`
    /// with no needs for such a target, and `apply` writes `S + A - P`
    /// (`PltPc`: the target itself, having no PLT entry), checked.
    #[inline]
    fn direct_pc32(rtype: u32) -> bool {
        matches!(rtype, R_X86_64_PC32 | R_X86_64_PLT32)
    }

    /// `decide` gives these `Action::Abs64Dyn` (PIC, not absolute) or
    /// `Action::Abs(Width::W8)` for such a target; `apply` writes `S + A`.
    #[inline]
    fn direct_abs64(rtype: u32) -> bool {
        rtype == R_X86_64_64
    }

    /// `decide` gives `R_X86_64_GOTPCREL` `Action::GotPc(Width::W4S)`
    /// always (only the `X` forms are relaxed); `apply` writes `G + A - P`.
    #[inline]
    fn direct_got_pc32(rtype: u32) -> bool {
        rtype == R_X86_64_GOTPCREL
    }

    /// `decide` gives `R_X86_64_PLT32` `Action::PltPc` always; `apply`
    /// writes the PLT entry (if any) `+ A - P`, checked.
    #[inline]
    fn direct_plt32(rtype: u32) -> bool {
        rtype == R_X86_64_PLT32
    }

    fn is_dtp_rel(rtype: u32) -> bool {
        matches!(rtype, R_X86_64_DTPOFF32 | R_X86_64_DTPOFF64)
    }

    fn may_take_next(rtype: u32) -> bool {
        matches!(rtype, R_X86_64_TLSGD | R_X86_64_TLSLD)
    }

    fn rel_name(rtype: u32) -> String {
        rel_name(rtype)
    }

    /// `call`/`jmp` (`e8`/`e9`) or a `jcc` (`0f 8x`) with a 32-bit
    /// displacement.
    fn is_branch(rtype: u32, bytes: &[u8], off: u64) -> bool {
        if rtype != R_X86_64_PLT32 && rtype != R_X86_64_PC32 {
            return false;
        }
        let at = |back: u64| {
            off.checked_sub(back)
                .and_then(|i| bytes.get(i as usize).copied())
        };
        matches!(at(1), Some(0xe8 | 0xe9))
            || (at(2) == Some(0x0f) && at(1).is_some_and(|b| b & 0xf0 == 0x80))
    }

    /// TLS variant II: the thread pointer is the end of the TLS block,
    /// aligned; TP offsets are negative.
    fn thread_pointer(_tls_start: u64, tls_end: u64, tls_align: u64) -> u64 {
        crate::layout::align_up(tls_end, tls_align)
    }

    fn write_plt_header(buf: &mut [u8], plt_addr: u64, gotplt_addr: u64) {
        write_plt_header(buf, plt_addr, gotplt_addr)
    }
    fn write_plt_entry(buf: &mut [u8], entry_addr: u64, slot_addr: u64, index: u32, plt0: u64) {
        write_plt_entry(buf, entry_addr, slot_addr, index, plt0)
    }
    fn write_iplt_entry(buf: &mut [u8], entry_addr: u64, slot_addr: u64) {
        write_iplt_entry(buf, entry_addr, slot_addr)
    }

    fn combine_gnu_properties<'a>(
        inputs: impl Iterator<Item = Option<&'a [(u32, u32)]>>,
        has_plt: bool,
    ) -> Vec<(u32, u32)> {
        combine_gnu_properties(inputs, has_plt)
    }
    fn force_gnu_properties(
        props: Vec<(u32, u32)>,
        isa_needed: u32,
        shstk: bool,
    ) -> Vec<(u32, u32)> {
        force_gnu_properties(props, isa_needed, shstk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IBT: u32 = GNU_PROPERTY_X86_FEATURE_1_IBT;
    const SHSTK: u32 = GNU_PROPERTY_X86_FEATURE_1_SHSTK;
    const AND: u32 = GNU_PROPERTY_X86_FEATURE_1_AND;
    const NEEDED: u32 = GNU_PROPERTY_X86_ISA_1_NEEDED;
    const USED: u32 = GNU_PROPERTY_X86_ISA_1_USED;

    fn combine(inputs: &[Option<&[(u32, u32)]>], plt: bool) -> Vec<(u32, u32)> {
        combine_gnu_properties(inputs.iter().copied(), plt)
    }

    #[test]
    fn and_needs_every_input() {
        let both: &[(u32, u32)] = &[(AND, IBT | SHSTK)];
        let shstk: &[(u32, u32)] = &[(AND, SHSTK)];
        assert_eq!(
            combine(&[Some(both), Some(both)], false),
            [(AND, IBT | SHSTK)]
        );
        assert_eq!(combine(&[Some(both), Some(shstk)], false), [(AND, SHSTK)]);
        // An input without the note, or without the property, clears it.
        assert_eq!(combine(&[Some(both), None], false), []);
        assert_eq!(combine(&[Some(both), Some(&[])], false), []);
        // A PLT without endbr64 cannot be marked IBT.
        assert_eq!(combine(&[Some(both)], true), [(AND, SHSTK)]);
    }

    #[test]
    fn or_and_or_and() {
        let a: &[(u32, u32)] = &[(NEEDED, 1), (USED, 1)];
        let b: &[(u32, u32)] = &[(NEEDED, 2)];
        // OR ignores inputs without it; OR_AND needs it everywhere.
        assert_eq!(combine(&[Some(a), Some(b), None], false), [(NEEDED, 3)]);
        assert_eq!(
            combine(&[Some(a), Some(&[(USED, 4)])], false),
            [(NEEDED, 1), (USED, 5)]
        );
        // Unknown types and zero results are dropped.
        assert_eq!(combine(&[Some(&[(0x1234, 1), (NEEDED, 0)])], false), []);
    }
}
