//! Standard base64 (RFC 4648 §4, with padding): basic-auth headers and the execution
//! context Kestra may pass in an environment variable.

use std::fmt;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Encodes bytes as base64 with padding.
pub fn encode(bytes: &[u8]) -> String {
    let mut encoded = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let first = chunk.first().copied().unwrap_or(0);
        let second = chunk.get(1).copied();
        let third = chunk.get(2).copied();
        let group = u32::from(first) << 16
            | u32::from(second.unwrap_or(0)) << 8
            | u32::from(third.unwrap_or(0));

        let sextet = |shift: u32| char::from(ALPHABET[((group >> shift) & 0x3f) as usize]);
        encoded.push(sextet(18));
        encoded.push(sextet(12));
        encoded.push(if second.is_some() { sextet(6) } else { '=' });
        encoded.push(if third.is_some() { sextet(0) } else { '=' });
    }
    encoded
}

/// Why a text is not base64.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    /// Byte offset of the first character that does not fit.
    pub position: usize,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "not valid base64 at character {}", self.position)
    }
}

/// Decodes base64; ASCII white space is skipped, padding is optional.
pub fn decode(text: &str) -> Result<Vec<u8>, DecodeError> {
    let mut bytes = Vec::with_capacity(text.len() / 4 * 3);
    let mut group: u32 = 0;
    let mut sextets = 0;
    let mut padding_from = None;

    for (position, byte) in text.bytes().enumerate() {
        if byte.is_ascii_whitespace() {
            continue;
        }
        if byte == b'=' {
            padding_from.get_or_insert(position);
            continue;
        }
        let value = ALPHABET.iter().position(|&letter| letter == byte);
        let (Some(value), None) = (value, padding_from) else {
            return Err(DecodeError { position });
        };

        group = group << 6 | value as u32;
        sextets += 1;
        if sextets == 4 {
            bytes.extend_from_slice(&[(group >> 16) as u8, (group >> 8) as u8, group as u8]);
            group = 0;
            sextets = 0;
        }
    }

    match sextets {
        0 => {}
        2 => bytes.push((group >> 4) as u8),
        3 => bytes.extend_from_slice(&[(group >> 10) as u8, (group >> 2) as u8]),
        _ => {
            return Err(DecodeError {
                position: text.len(),
            })
        }
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTORS: [(&str, &str); 7] = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ];

    #[test]
    fn encoding_matches_rfc_4648_vectors() {
        for (plain, encoded) in VECTORS {
            assert_eq!(encode(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn decoding_matches_rfc_4648_vectors() {
        for (plain, encoded) in VECTORS {
            assert_eq!(decode(encoded).as_deref(), Ok(plain.as_bytes()));
            assert_eq!(
                decode(encoded.trim_end_matches('=')).as_deref(),
                Ok(plain.as_bytes())
            );
        }
        assert_eq!(decode("Zm9v\nYmFy\n").as_deref(), Ok(&b"foobar"[..]));
    }

    #[test]
    fn bad_text_is_refused_with_its_position() {
        assert_eq!(decode("Zm9v!"), Err(DecodeError { position: 4 }));
        assert_eq!(decode("Zg==Zg"), Err(DecodeError { position: 4 }));
        assert_eq!(decode("Z"), Err(DecodeError { position: 1 }));
        assert_eq!(decode("é"), Err(DecodeError { position: 0 }));
    }

    #[test]
    fn round_trips_every_byte() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(&encode(&bytes)), Ok(bytes));
    }
}
