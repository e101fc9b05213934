//! Splitting a Ninja command (a `/bin/sh -c` string) into the argument
//! vectors of its `&&`-separated commands, for the simple commands CMake and
//! Meson write: words, single and double quotes, backslashes. Anything the
//! shell would expand or redirect (variables, command substitution, globs,
//! pipes, `;`, redirections) makes the split fail: such a command is not
//! started early, it is simply linked when Ninja runs it.

pub fn split_and_list(cmd: &str) -> Option<Vec<Vec<String>>> {
    let mut segs: Vec<Vec<String>> = vec![Vec::new()];
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = cmd.chars().peekable();
    let end_word = |word: &mut String, in_word: &mut bool, segs: &mut Vec<Vec<String>>| {
        if *in_word {
            segs.last_mut().unwrap().push(std::mem::take(word));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => end_word(&mut word, &mut in_word, &mut segs),
            '&' => {
                if chars.peek() == Some(&'&') {
                    chars.next();
                    end_word(&mut word, &mut in_word, &mut segs);
                    if segs.last().unwrap().is_empty() {
                        return None;
                    }
                    segs.push(Vec::new());
                } else {
                    return None;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => word.push(x),
                        None => return None,
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('$' | '`' | '"' | '\\')) => word.push(x),
                            Some('\n') => {}
                            Some(x) => {
                                word.push('\\');
                                word.push(x);
                            }
                            None => return None,
                        },
                        Some('$' | '`') => return None,
                        Some(x) => word.push(x),
                        None => return None,
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(x) => {
                    in_word = true;
                    word.push(x);
                }
                None => return None,
            },
            ';' | '|' | '<' | '>' | '(' | ')' | '`' | '$' | '*' | '?' | '[' => return None,
            '#' | '~' if !in_word => return None,
            _ => {
                in_word = true;
                word.push(c);
            }
        }
    }
    end_word(&mut word, &mut in_word, &mut segs);
    if segs.last().unwrap().is_empty() {
        if segs.len() == 1 {
            return Some(Vec::new());
        }
        return None;
    }
    Some(segs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&[&str]]) -> Vec<Vec<String>> {
        v.iter()
            .map(|x| x.iter().map(|y| y.to_string()).collect())
            .collect()
    }

    #[test]
    fn splits() {
        assert_eq!(
            split_and_list(": && ninja-hook link /usr/bin/cc  a.o -o app  && :").unwrap(),
            s(&[
                &[":"],
                &["ninja-hook", "link", "/usr/bin/cc", "a.o", "-o", "app"],
                &[":"]
            ])
        );
        assert_eq!(
            split_and_list(r#"cc -DX="\"a b\"" 'x y'.o -Wl,-rpath,'$ORIGIN/'"#).unwrap(),
            s(&[&["cc", "-DX=\"a b\"", "x y.o", "-Wl,-rpath,$ORIGIN/"]])
        );
        assert!(split_and_list("cc $FOO").is_none());
        assert!(split_and_list("cc a.o > log").is_none());
        assert!(split_and_list("cc *.o").is_none());
        assert!(split_and_list("a; b").is_none());
        assert!(split_and_list("a || b").is_none());
    }
}
