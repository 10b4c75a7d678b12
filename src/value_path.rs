//! Paths that name a value inside what a script sends, as JavaScript would write them:
//! `outputs.rows[3].when`, `outputs["a key"]`.

use std::fmt::Write as _;

/// One step from a container to a value inside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// A property of an object or a key of a `Map`.
    Key(String),
    /// An element of an array, a `Set` or a typed array.
    Index(u32),
}

/// Writes `root` followed by `segments` in JavaScript accessor syntax.
pub fn render(root: &str, segments: &[Segment]) -> String {
    let mut path = String::from(root);
    for segment in segments {
        match segment {
            Segment::Index(index) => {
                let _ = write!(path, "[{index}]");
            }
            Segment::Key(key) if is_identifier(key) => {
                path.push('.');
                path.push_str(key);
            }
            Segment::Key(key) => {
                path.push('[');
                push_quoted(&mut path, key);
                path.push(']');
            }
        }
    }
    path
}

/// A key that can follow a dot: ASCII letters, digits, `_` and `$`, not starting with a digit.
fn is_identifier(key: &str) -> bool {
    let mut characters = key.chars();
    let Some(first) = characters.next() else {
        return false;
    };
    let starts_well = first.is_ascii_alphabetic() || first == '_' || first == '$';
    starts_well
        && characters.all(|character| character.is_ascii_alphanumeric() || "_$".contains(character))
}

/// A double-quoted JavaScript string literal, escaping what would make the path ambiguous.
fn push_quoted(path: &mut String, key: &str) {
    path.push('"');
    for character in key.chars() {
        match character {
            '"' => path.push_str("\\\""),
            '\\' => path.push_str("\\\\"),
            '\n' => path.push_str("\\n"),
            '\r' => path.push_str("\\r"),
            '\t' => path.push_str("\\t"),
            control if control.is_control() || matches!(control, '\u{2028}' | '\u{2029}') => {
                let _ = write!(path, "\\u{:04x}", u32::from(control));
            }
            other => path.push(other),
        }
    }
    path.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> Segment {
        Segment::Key(text.to_owned())
    }

    #[test]
    fn dots_for_identifiers_and_brackets_for_indexes() {
        let segments = [key("rows"), Segment::Index(3), key("when")];
        assert_eq!(render("outputs", &segments), "outputs.rows[3].when");
        assert_eq!(render("outputs", &[]), "outputs");
        assert_eq!(
            render("message", &[key("_private$1")]),
            "message._private$1"
        );
    }

    #[test]
    fn other_keys_are_quoted() {
        assert_eq!(render("outputs", &[key("a key")]), r#"outputs["a key"]"#);
        assert_eq!(render("outputs", &[key("3d")]), r#"outputs["3d"]"#);
        assert_eq!(render("outputs", &[key("")]), r#"outputs[""]"#);
        assert_eq!(render("outputs", &[key("é")]), r#"outputs["é"]"#);
        assert_eq!(
            render("outputs", &[key("say \"hi\"\\\n\u{1}\u{2028}")]),
            r#"outputs["say \"hi\"\\\n\u0001\u2028"]"#
        );
    }
}
