//! Execution labels: Kestra's key rule, and the label that makes creates exactly-once.

use std::fmt;

/// Key of the label that tags each create with a unique value, so that a create whose
/// answer was lost can be found again instead of being sent twice.
pub const CREATE_ID_KEY: &str = "kestra-wasm.create-id";

/// Why a label cannot be sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabelError {
    /// The key breaks Kestra's rule `^[\p{Ll}][\p{L}0-9._-]*$`.
    BadKey(String),
    /// The value is empty or only spaces: Kestra refuses it.
    EmptyValue(String),
}

impl fmt::Display for LabelError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LabelError::BadKey(key) => write!(
                formatter,
                "label key '{key}' must start with a lowercase letter and hold only letters, \
                 digits, '.', '_' and '-'"
            ),
            LabelError::EmptyValue(key) => write!(formatter, "label '{key}' has an empty value"),
        }
    }
}

/// Checks a label against Kestra's rules: the key pattern of its `Label` record (Unicode
/// lowercase first, then letters, ASCII digits, `.`, `_`, `-`) and a non-blank value.
pub fn check_label(key: &str, value: &str) -> Result<(), LabelError> {
    let mut characters = key.chars();
    let first_is_lowercase = characters
        .next()
        .is_some_and(|character| character.is_lowercase() && character.is_alphabetic());
    let rest_allowed = characters.all(|character| {
        character.is_alphabetic() || character.is_ascii_digit() || "._-".contains(character)
    });
    if !(first_is_lowercase && rest_allowed) {
        return Err(LabelError::BadKey(key.to_owned()));
    }
    if value.trim().is_empty() {
        return Err(LabelError::EmptyValue(key.to_owned()));
    }
    Ok(())
}

/// A 22-character base62 identifier made of 16 random bytes, like Kestra's own ids.
pub fn base62_id(bytes: [u8; 16]) -> String {
    const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    let mut number = u128::from_be_bytes(bytes);
    let mut id = Vec::with_capacity(22);
    for _ in 0..22 {
        let digit = (number % 62) as u8;
        id.push(DIGITS.get(usize::from(digit)).copied().unwrap_or(b'0'));
        number /= 62;
    }
    id.reverse();
    String::from_utf8(id).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_kestra_pattern() {
        for good in [
            "team",
            "a",
            "kestra-wasm.create-id",
            "été_1",
            "ñame-x.y",
            "a0",
        ] {
            assert_eq!(check_label(good, "v"), Ok(()), "{good}");
        }
        for bad in [
            "", "Team", "1a", "_a", "-a", ".a", "a b", "a:b", "a/b", "a١",
        ] {
            assert_eq!(
                check_label(bad, "v"),
                Err(LabelError::BadKey(bad.to_owned())),
                "{bad}"
            );
        }
        assert_eq!(
            check_label("team", " "),
            Err(LabelError::EmptyValue("team".to_owned()))
        );
        assert!(LabelError::BadKey("Team".into())
            .to_string()
            .contains("'Team'"));
    }

    #[test]
    fn ids_are_22_base62_characters() {
        assert_eq!(base62_id([0; 16]), "0000000000000000000000");
        let id = base62_id([255; 16]);
        assert_eq!(id.len(), 22);
        assert_eq!(id, "7n42DGM5Tflk9n8mt7Fhc7");
        assert!(base62_id([7; 16])
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric()));
    }
}
