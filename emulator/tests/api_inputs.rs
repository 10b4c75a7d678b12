//! The input types added after the first release: TIME, DURATION, URI, EMAIL, YAML, ARRAY and
//! MULTISELECT, parsed from multipart text as Kestra parses them.

mod support;

use serde_json::json;
use support::{create, start};

const TYPED_FLOW: &str = r#"
id: typed
namespace: company.team
inputs:
  - id: at
    type: TIME
  - id: every
    type: DURATION
  - id: site
    type: URI
  - id: mail
    type: EMAIL
  - id: config
    type: YAML
  - id: counts
    type: ARRAY
    itemType: INT
  - id: colors
    type: MULTISELECT
    values: [red, green, blue]
    defaults: [red]
tasks:
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ inputs.at }}"
"#;

const PATH: &str = "/api/v1/main/executions/company.team/typed";

fn valid() -> Vec<(&'static str, Option<&'static str>, &'static [u8])> {
    vec![
        ("at", None, b"09:30:00"),
        ("every", None, b"P1DT30M"),
        ("site", None, b"https://kestra.io/docs"),
        ("mail", None, b"ops@kestra.io"),
        ("config", None, b"retries: 3\nzones: [a, b]"),
        ("counts", None, b"[1, \"2\"]"),
    ]
}

#[test]
fn typed_inputs_are_parsed_and_printed_like_java() {
    let server = start("inputs", &[("typed.yml", TYPED_FLOW)], &[]);
    let reply = create(server.port, PATH, &valid());
    assert_eq!(reply.status, 200, "{}", reply.text());
    let inputs = &reply.json()["inputs"];
    assert_eq!(
        inputs,
        &json!({
            "at": "09:30",
            "every": "PT24H30M",
            "site": "https://kestra.io/docs",
            "mail": "ops@kestra.io",
            "config": {"retries": 3, "zones": ["a", "b"]},
            "counts": [1, 2],
            "colors": ["red"],
        })
    );
}

#[test]
fn bad_values_answer_kestra_messages() {
    let server = start("inputs-bad", &[("typed.yml", TYPED_FLOW)], &[]);
    let cases: [(&str, &[u8], &str); 5] = [
        ("site", b"http://localhost:8080", "Invalid URI format."),
        ("mail", b"not-an-address", "The input must be a valid email"),
        (
            "counts",
            b"[1, 2.5]",
            "Unable to parse array element as `INT` on `2.5`",
        ),
        (
            "colors",
            b"[\"red\", \"pink\"]",
            "it must match the values `[red, green, blue]`",
        ),
        (
            "every",
            b"P1M",
            " errors:\n```\nText cannot be parsed to a Duration\n```",
        ),
    ];
    for (name, value, cause) in cases {
        let mut parts = valid();
        parts.retain(|(part, _, _)| *part != name);
        parts.push((name, None, value));
        let reply = create(server.port, PATH, &parts);
        assert_eq!(reply.status, 422, "{name}: {}", reply.text());
        assert_eq!(
            reply.json()["message"],
            json!(format!(
                "Invalid entity: Invalid value for input `{name}`. Cause: {cause}"
            )),
        );
    }
}
