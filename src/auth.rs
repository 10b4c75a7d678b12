//! The `Authorization` header of a request.

use crate::base64;

/// Credentials for Kestra's API; a token wins over a user and password.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    /// Sent as `Bearer <token>` (Kestra Enterprise API tokens).
    pub api_token: Option<String>,
    /// Basic-auth user name.
    pub user: Option<String>,
    /// Basic-auth password.
    pub password: Option<String>,
}

impl Credentials {
    /// The header value to send, if any: a token first, else basic auth when a user is set.
    ///
    /// A user without a password is sent with an empty password rather than dropped, so the
    /// server answers 401 and the caller learns that the password is missing.
    pub fn authorization(&self) -> Option<String> {
        if let Some(token) = self.api_token.as_deref().filter(|token| !token.is_empty()) {
            return Some(format!("Bearer {token}"));
        }

        let user = self.user.as_deref()?;
        let password = self.password.as_deref().unwrap_or("");
        let encoded = base64::encode(format!("{user}:{password}").as_bytes());
        Some(format!("Basic {encoded}"))
    }
}

impl Credentials {
    /// `text` with every secret of these credentials (the password, the token, the encoded
    /// basic credentials) replaced by `***`: a server may echo a request's headers in an
    /// error body, and error messages must not carry them further.
    pub fn redact(&self, text: &str) -> String {
        let mut secrets: Vec<String> = Vec::new();
        if let Some(header) = self.authorization() {
            if let Some((_, value)) = header.split_once(' ') {
                secrets.push(value.to_owned());
            }
        }
        secrets.extend(self.api_token.iter().cloned());
        secrets.extend(self.password.iter().cloned());
        let mut redacted = text.to_owned();
        // Longer secrets first, so a password inside an encoded pair is not half-replaced.
        secrets.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
        for secret in secrets.iter().filter(|secret| secret.len() >= 3) {
            redacted = redacted.replace(secret.as_str(), "***");
        }
        redacted
    }
}

/// Why a credential cannot be sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialError {
    /// A basic-auth user name holds a `:`, which would move the split between user and
    /// password (RFC 7617), or a control character.
    BadUser,
    /// A token holds a character an HTTP header cannot carry as is (only visible ASCII).
    BadToken,
}

impl std::fmt::Display for CredentialError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            CredentialError::BadUser => {
                "user cannot contain ':' or control characters (basic auth splits at ':')"
            }
            CredentialError::BadToken => {
                "apiToken must be visible ASCII characters only, without spaces"
            }
        })
    }
}

/// Checks a basic-auth user name.
pub fn check_user(user: &str) -> Result<(), CredentialError> {
    if user.contains(|character: char| character == ':' || character.is_control()) {
        return Err(CredentialError::BadUser);
    }
    Ok(())
}

/// Checks an API token.
pub fn check_token(token: &str) -> Result<(), CredentialError> {
    if !token.bytes().all(|byte| byte.is_ascii_graphic()) {
        return Err(CredentialError::BadToken);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_wins_over_basic() {
        let credentials = Credentials {
            api_token: Some("t0k".into()),
            user: Some("admin@kestra.io".into()),
            password: Some("pw".into()),
        };
        assert_eq!(credentials.authorization().as_deref(), Some("Bearer t0k"));
    }

    #[test]
    fn basic_credentials_are_utf8_before_base64() {
        let credentials = Credentials {
            user: Some("jösé".into()),
            password: Some("pässwörd:1".into()),
            ..Credentials::default()
        };
        // "jösé:pässwörd:1" in UTF-8, base64-encoded.
        assert_eq!(
            credentials.authorization().as_deref(),
            Some("Basic asO2c8OpOnDDpHNzd8O2cmQ6MQ==")
        );
    }

    #[test]
    fn users_and_tokens_are_checked() {
        assert_eq!(check_user("admin@kestra.io"), Ok(()));
        assert_eq!(check_user("jösé"), Ok(()));
        assert_eq!(check_user("a:b"), Err(CredentialError::BadUser));
        assert_eq!(check_user("a\nb"), Err(CredentialError::BadUser));
        assert_eq!(check_token("eyJhbGciOi.J9-_~+/="), Ok(()));
        for bad in ["t k", "tök€n", "a\nb", "tab\t"] {
            assert_eq!(check_token(bad), Err(CredentialError::BadToken), "{bad:?}");
        }
    }

    #[test]
    fn nothing_without_user_or_token() {
        assert_eq!(Credentials::default().authorization(), None);
        let empty_token = Credentials {
            api_token: Some(String::new()),
            ..Credentials::default()
        };
        assert_eq!(empty_token.authorization(), None);
        let only_password = Credentials {
            password: Some("x".into()),
            ..Credentials::default()
        };
        assert_eq!(only_password.authorization(), None);
    }

    #[test]
    fn secrets_are_redacted() {
        let basic = Credentials {
            user: Some("alice".into()),
            password: Some("s3cr3t".into()),
            api_token: None,
        };
        let echoed = "got Basic YWxpY2U6czNjcjN0 / alice:s3cr3t";
        assert_eq!(basic.redact(echoed), "got Basic *** / alice:***");
        let token = Credentials {
            api_token: Some("tok-123".into()),
            ..Credentials::default()
        };
        assert_eq!(token.redact("Bearer tok-123"), "Bearer ***");
        // Secrets too short to tell from ordinary text are left alone.
        let short = Credentials {
            user: Some("u".into()),
            password: Some("pw".into()),
            api_token: None,
        };
        assert_eq!(short.redact("pw is short"), "pw is short");
    }
}
