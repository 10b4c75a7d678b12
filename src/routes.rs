//! URLs of the Kestra API routes a client calls.
//!
//! Kestra serves `/api/v1/{tenant}/...` since 0.23; servers before it only know the
//! tenant-less paths. Every value placed in a path or a query is percent-encoded, so a
//! namespace, an id or a label can never change the shape of the URL.

use std::fmt;

/// The tenant an omitted `tenant` option stands for: Kestra OSS has only `main`.
pub const DEFAULT_TENANT: &str = "main";

/// Why a URL cannot be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RouteError {
    /// A path value is empty, `.` or `..`: URL parsers resolve the last two as directory
    /// steps even when percent-encoded, so the request would reach another route.
    BadSegment {
        /// What the value is (`namespace`, `flowId`, `executionId`, `tenant`).
        what: &'static str,
        /// The rejected value.
        value: String,
    },
    /// The hostname is not an `http://` or `https://` URL without query or fragment.
    BadHostname(String),
    /// The hostname holds `user:password@`; it is not repeated, since it holds a secret.
    CredentialsInHostname,
}

impl fmt::Display for RouteError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteError::BadSegment { what, value } if value.is_empty() => {
                write!(formatter, "{what} must be a non-empty string")
            }
            RouteError::BadSegment { what, value } => {
                write!(
                    formatter,
                    "{what} cannot be '{value}': it would change the URL path"
                )
            }
            RouteError::CredentialsInHostname => write!(
                formatter,
                "hostname must not hold credentials (user:password@): set the user and \
                 password options instead"
            ),
            RouteError::BadHostname(hostname) => write!(
                formatter,
                "hostname must be an http:// or https:// URL without query or fragment, \
                 got '{hostname}'"
            ),
        }
    }
}

/// Checks a value that goes into one path segment.
pub fn check_segment(what: &'static str, value: &str) -> Result<(), RouteError> {
    if matches!(value, "" | "." | "..") {
        return Err(RouteError::BadSegment {
            what,
            value: value.to_owned(),
        });
    }
    Ok(())
}

/// Checks the base URL of a Kestra server.
pub fn check_hostname(hostname: &str) -> Result<(), RouteError> {
    let lowercase = hostname.to_ascii_lowercase();
    let rest = lowercase
        .strip_prefix("http://")
        .or_else(|| lowercase.strip_prefix("https://"))
        .unwrap_or("");
    let authority = rest.split('/').next().unwrap_or("");
    // Credentials in the URL would end up in error messages: they belong in the options.
    // Without a scheme the authority is not found, so any `@` is then taken for one.
    if authority.contains('@') || (authority.is_empty() && hostname.contains('@')) {
        return Err(RouteError::CredentialsInHostname);
    }
    let path = rest.get(authority.len()..).unwrap_or("");
    let dot_segment = path.split('/').any(|segment| matches!(segment, "." | ".."));
    let valid = !authority.is_empty()
        && !dot_segment
        && !hostname.contains(['?', '#'])
        && !hostname
            .chars()
            .any(|character| character.is_whitespace() || character.is_control());
    if !valid {
        return Err(RouteError::BadHostname(hostname.to_owned()));
    }
    Ok(())
}

/// Builds the URLs of one Kestra server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Routes {
    /// Scheme, host and optional base path, without a trailing slash.
    base: String,
    /// `Some` for `/api/v1/{tenant}/...`, `None` for the tenant-less paths of Kestra ≤ 0.22.
    tenant: Option<String>,
}

impl Routes {
    /// Routes for `hostname` (trailing slashes ignored) and `tenant` (`None`: tenant-less).
    pub fn new(hostname: &str, tenant: Option<&str>) -> Routes {
        Routes {
            base: hostname.trim_end_matches('/').to_owned(),
            tenant: tenant.map(str::to_owned),
        }
    }

    /// `POST` target that creates an execution of a flow.
    pub fn create_execution(&self, namespace: &str, flow_id: &str) -> Result<String, RouteError> {
        check_segment("namespace", namespace)?;
        check_segment("flowId", flow_id)?;
        self.api(&["executions", namespace, flow_id], 2)
    }

    /// `GET` target of one execution.
    pub fn execution(&self, execution_id: &str) -> Result<String, RouteError> {
        check_segment("executionId", execution_id)?;
        self.api(&["executions", execution_id], 1)
    }

    /// `GET` target of the plain-text log of one execution.
    pub fn logs_download(&self, execution_id: &str) -> Result<String, RouteError> {
        check_segment("executionId", execution_id)?;
        let mut url = self.api(&["logs", execution_id], 1)?;
        url.push_str("/download");
        Ok(url)
    }

    /// `GET` target of the event stream of one execution's updates.
    pub fn follow_execution(&self, execution_id: &str) -> Result<String, RouteError> {
        Ok(format!("{}/follow", self.execution(execution_id)?))
    }

    /// `GET` target of the ERROR log entries of one execution, as JSON.
    pub fn error_logs(&self, execution_id: &str) -> Result<String, RouteError> {
        check_segment("executionId", execution_id)?;
        let url = self.api(&["logs", execution_id], 1)?;
        // 1.x reads `minLevel`, 2.x reads `filters`; each ignores the other's parameter.
        Ok(format!(
            "{url}?minLevel=ERROR&filters%5Blevel%5D%5BEQUALS%5D=ERROR"
        ))
    }

    /// `GET` target of the event stream of one execution's log entries.
    pub fn follow_logs(&self, execution_id: &str) -> Result<String, RouteError> {
        check_segment("executionId", execution_id)?;
        let url = self.api(&["logs", execution_id], 1)?;
        Ok(format!("{url}/follow"))
    }

    /// `GET` target that finds the executions of a flow carrying the label `key:value`.
    pub fn search_by_label(
        &self,
        namespace: &str,
        flow_id: &str,
        (key, value): (&str, &str),
    ) -> Result<String, RouteError> {
        let url = self.api(&["executions", "search"], 0)?;
        Ok(format!(
            "{url}?filters%5Bnamespace%5D%5BEQUALS%5D={}&filters%5BflowId%5D%5BEQUALS%5D={}\
             &filters%5Blabels%5D%5BEQUALS%5D%5B{}%5D={}",
            encode_component(namespace),
            encode_component(flow_id),
            encode_component(key),
            encode_component(value)
        ))
    }

    /// `DELETE` targets that kill an execution: Kestra 2.x's first, then 1.x's.
    pub fn kill(&self, execution_id: &str) -> Result<[String; 2], RouteError> {
        let execution = self.execution(execution_id)?;
        Ok([
            format!("{execution}/actions/kill"),
            format!("{execution}/kill"),
        ])
    }

    /// The UI page of an execution, as Kestra builds it when `kestra.url` is the hostname.
    pub fn ui_execution(&self, namespace: &str, flow_id: &str, execution_id: &str) -> String {
        format!(
            "{}/ui/{}/executions/{}/{}/{}",
            self.base,
            encode_component(self.tenant.as_deref().unwrap_or(DEFAULT_TENANT)),
            encode_component(namespace),
            encode_component(flow_id),
            encode_component(execution_id)
        )
    }

    /// The origin (`scheme://host[:port]`, lowercase) of the server.
    pub fn origin(&self) -> Option<String> {
        origin_of(&self.base)
    }

    /// An absolute URL for `reference`, which the server may give relative to its root.
    pub fn absolute(&self, reference: &str) -> String {
        match self.origin() {
            Some(origin) if reference.starts_with('/') && !reference.starts_with("//") => {
                format!("{origin}{reference}")
            }
            _ => reference.to_owned(),
        }
    }

    /// `/api/v1[/{tenant}]/<fixed>/<encoded...>`: the last `encoded_count` parts are values.
    fn api(&self, parts: &[&str], encoded_count: usize) -> Result<String, RouteError> {
        let mut url = format!("{}/api/v1", self.base);
        if let Some(tenant) = &self.tenant {
            check_segment("tenant", tenant)?;
            url.push('/');
            url.push_str(&encode_component(tenant));
        }

        let fixed_count = parts.len().saturating_sub(encoded_count);
        for (index, part) in parts.iter().enumerate() {
            url.push('/');
            if index < fixed_count {
                url.push_str(part);
            } else {
                url.push_str(&encode_component(part));
            }
        }
        Ok(url)
    }
}

/// The origin (`scheme://authority`, lowercase) of an `http(s)` URL; `None` for others.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    Some(format!("{scheme}://{}", authority.to_ascii_lowercase()))
}

/// Percent-encodes everything but RFC 3986 unreserved characters, UTF-8 first.
pub fn encode_component(value: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";

    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push('%');
            encoded.push(char::from(HEX[usize::from(byte >> 4)]));
            encoded.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
    }
    encoded
}

/// The query string (`?labels=k%3Av&labels=...`) that sets execution labels, or `""`.
///
/// A pair with an empty key or value is left out: Kestra refuses such a label with 422.
pub fn labels_query<'a>(labels: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut query = String::new();
    for (key, value) in labels {
        if key.trim().is_empty() || value.trim().is_empty() {
            continue;
        }
        query.push(if query.is_empty() { '?' } else { '&' });
        query.push_str("labels=");
        query.push_str(&encode_component(&format!("{key}:{value}")));
    }
    query
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_routes() {
        let routes = Routes::new("http://localhost:8080", Some("main"));
        assert_eq!(
            routes.create_execution("company.team", "hello").as_deref(),
            Ok("http://localhost:8080/api/v1/main/executions/company.team/hello")
        );
        assert_eq!(
            routes.execution("123").as_deref(),
            Ok("http://localhost:8080/api/v1/main/executions/123")
        );
        assert_eq!(
            routes.logs_download("123").as_deref(),
            Ok("http://localhost:8080/api/v1/main/logs/123/download")
        );
    }

    #[test]
    fn tenant_less_routes_for_old_servers() {
        let routes = Routes::new("http://localhost:8080", None);
        assert_eq!(
            routes.create_execution("ns", "f").as_deref(),
            Ok("http://localhost:8080/api/v1/executions/ns/f")
        );
        assert_eq!(
            routes.execution("1").as_deref(),
            Ok("http://localhost:8080/api/v1/executions/1")
        );
        assert_eq!(
            routes.logs_download("1").as_deref(),
            Ok("http://localhost:8080/api/v1/logs/1/download")
        );
    }

    #[test]
    fn trailing_slashes_do_not_double() {
        let routes = Routes::new("https://kestra.example/base//", Some("t"));
        assert_eq!(
            routes.execution("1").as_deref(),
            Ok("https://kestra.example/base/api/v1/t/executions/1")
        );
    }

    #[test]
    fn every_value_is_encoded() {
        let routes = Routes::new("http://h", Some("a/b"));
        assert_eq!(
            routes.create_execution("ns/../x", "id?x=1#f").as_deref(),
            Ok("http://h/api/v1/a%2Fb/executions/ns%2F..%2Fx/id%3Fx%3D1%23f")
        );
        assert_eq!(
            routes.execution("é ").as_deref(),
            Ok("http://h/api/v1/a%2Fb/executions/%C3%A9%20")
        );
    }

    #[test]
    fn dot_segments_and_empty_values_are_refused() {
        let routes = Routes::new("http://h", Some("main"));
        for bad in ["", ".", ".."] {
            assert!(routes.execution(bad).is_err(), "{bad:?}");
            assert!(routes.logs_download(bad).is_err(), "{bad:?}");
            assert!(routes.create_execution(bad, "f").is_err(), "{bad:?}");
            assert!(routes.create_execution("ns", bad).is_err(), "{bad:?}");
            assert!(
                Routes::new("http://h", Some(bad)).execution("1").is_err(),
                "{bad:?}"
            );
        }
        assert_eq!(
            routes.execution("..").map_err(|error| error.to_string()),
            Err("executionId cannot be '..': it would change the URL path".to_owned())
        );
        assert!(routes.execution("...").is_ok());
        assert!(routes.execution("a..b").is_ok());
    }

    #[test]
    fn hostnames_are_checked() {
        for good in [
            "http://localhost:8080",
            "https://kestra.example/base/",
            "HTTP://h",
        ] {
            assert_eq!(check_hostname(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "localhost:8080",
            "ftp://h",
            "http://",
            "http://h/x?y=1",
            "http://h#f",
        ] {
            assert!(check_hostname(bad).is_err(), "{bad}");
        }
        assert!(check_hostname("http://h /x").is_err());
    }

    #[test]
    fn labels_are_one_encoded_parameter_each() {
        assert_eq!(labels_query([]), "");
        assert_eq!(
            labels_query([("team", "data"), ("url", "http://x/?a=1&b")]),
            "?labels=team%3Adata&labels=url%3Ahttp%3A%2F%2Fx%2F%3Fa%3D1%26b"
        );
        assert_eq!(
            labels_query([("empty", ""), ("blank", "  "), ("k", "v")]),
            "?labels=k%3Av"
        );
    }

    #[test]
    fn follow_search_kill_and_ui_routes() {
        let routes = Routes::new("https://k.example/base/", Some("main"));
        assert_eq!(
            routes.follow_execution("e1").as_deref(),
            Ok("https://k.example/base/api/v1/main/executions/e1/follow")
        );
        assert_eq!(
            routes.follow_logs("e1").as_deref(),
            Ok("https://k.example/base/api/v1/main/logs/e1/follow")
        );
        assert_eq!(
            routes.error_logs("e 1").as_deref(),
            Ok("https://k.example/base/api/v1/main/logs/e%201\
                ?minLevel=ERROR&filters%5Blevel%5D%5BEQUALS%5D=ERROR")
        );
        assert_eq!(
            routes
                .search_by_label("a.b", "f&x", ("kestra-wasm.create-id", "v:1"))
                .as_deref(),
            Ok("https://k.example/base/api/v1/main/executions/search\
                ?filters%5Bnamespace%5D%5BEQUALS%5D=a.b&filters%5BflowId%5D%5BEQUALS%5D=f%26x\
                &filters%5Blabels%5D%5BEQUALS%5D%5Bkestra-wasm.create-id%5D=v%3A1")
        );
        assert_eq!(
            routes.kill("e1"),
            Ok([
                "https://k.example/base/api/v1/main/executions/e1/actions/kill".to_owned(),
                "https://k.example/base/api/v1/main/executions/e1/kill".to_owned(),
            ])
        );
        assert_eq!(
            routes.ui_execution("a.b", "f", "e1"),
            "https://k.example/base/ui/main/executions/a.b/f/e1"
        );
        assert_eq!(
            Routes::new("http://h:1", None).ui_execution("a", "f", "e"),
            "http://h:1/ui/main/executions/a/f/e"
        );
        assert!(routes.kill("..").is_err());
    }

    #[test]
    fn relative_references_resolve_against_the_origin() {
        let routes = Routes::new("https://k.example/base", Some("main"));
        assert_eq!(routes.absolute("/ui/main/x"), "https://k.example/ui/main/x");
        assert_eq!(routes.absolute("http://o/ui"), "http://o/ui");
        assert_eq!(routes.absolute("//o/ui"), "//o/ui");
        let bare = Routes::new("http://h:1", None);
        assert_eq!(bare.absolute("/ui/x"), "http://h:1/ui/x");
    }

    #[test]
    fn origins() {
        assert_eq!(
            origin_of("HTTP://Host:8080/a?b").as_deref(),
            Some("http://host:8080")
        );
        assert_eq!(origin_of("https://h").as_deref(), Some("https://h"));
        assert_eq!(origin_of("ftp://h/x"), None);
        assert_eq!(origin_of("/relative"), None);
        assert_eq!(origin_of("http://u:p@h/"), None);
        let routes = Routes::new("http://h:1/base/", Some("main"));
        assert_eq!(routes.origin().as_deref(), Some("http://h:1"));
        assert!(check_hostname("http://h/p/../q").is_err());
        assert!(check_hostname("http://h/./q").is_err());
        assert!(check_hostname("http://h/p..q/").is_ok());
    }

    #[test]
    fn credentials_in_the_hostname_are_refused() {
        let error = check_hostname("http://user:secret@localhost:8080");
        assert_eq!(error, Err(RouteError::CredentialsInHostname));
        assert!(!RouteError::CredentialsInHostname
            .to_string()
            .contains("secret"));
        assert_eq!(
            check_hostname("user:secret@localhost:8080"),
            Err(RouteError::CredentialsInHostname)
        );
        assert!(check_hostname("http://localhost:8080/a@b").is_ok());
    }
}
