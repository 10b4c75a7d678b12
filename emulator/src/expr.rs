//! A small subset of Pebble, Kestra's template language: `{{ path }}` lookups into the
//! execution context. Everything else is refused with a clear error instead of being left as
//! text, so a flow never runs with half-rendered values.

use serde_json::Value;

/// Roots a template may start from.
const ROOTS: [&str; 5] = ["inputs", "outputs", "execution", "flow", "labels"];

/// Renders every `{{ ... }}` in `template` against `context`, an object keyed by the roots.
pub fn render(template: &str, context: &Value) -> Result<String, String> {
    scan(template, &mut |expression| {
        evaluate(expression, context).map(|value| to_text(&value))
    })
}

/// Checks, without a context, that every tag of `template` is a supported lookup from a
/// known root: flows are checked when they load, so an unsupported template is reported at
/// start-up rather than when an execution reaches it.
pub fn check(template: &str) -> Result<(), String> {
    scan(template, &mut |expression| {
        let steps = parse_path(expression)?;
        match steps.first() {
            Some(Step::Key(root)) if ROOTS.contains(&root.as_str()) => Ok(String::new()),
            Some(Step::Key(root)) => Err(format!(
                "unknown variable `{root}` (available: {})",
                ROOTS.join(", ")
            )),
            _ => Err("an expression must start with a variable name".to_string()),
        }
    })
    .map(|_| ())
}

/// Replaces every `{{ ... }}` of `template` with what `expand` makes of its expression;
/// `{% %}` and `{# #}` tags and unclosed tags are errors.
fn scan(
    template: &str,
    expand: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    loop {
        let next_tag = ["{{", "{%", "{#"]
            .iter()
            .filter_map(|open| rest.find(open).map(|index| (index, *open)))
            .min_by_key(|(index, _)| *index);
        let Some((index, open)) = next_tag else {
            out.push_str(rest);
            return Ok(out);
        };
        if open != "{{" {
            return Err(format!(
                "Unsupported template syntax `{open}` in `{}`: only `{{{{ path }}}}` \
                 expressions are supported",
                short(template)
            ));
        }
        out.push_str(rest.get(..index).unwrap_or_default());
        let after = rest.get(index + 2..).unwrap_or_default();
        let Some(end) = after.find("}}") else {
            return Err(format!("Unclosed `{{{{` in `{}`", short(template)));
        };
        let expression = after.get(..end).unwrap_or_default().trim();
        let text = expand(expression)
            .map_err(|reason| format!("Unable to render `{{{{ {expression} }}}}`: {reason}"))?;
        out.push_str(&text);
        rest = after.get(end + 2..).unwrap_or_default();
    }
}

/// Cuts long templates in error messages.
fn short(template: &str) -> String {
    let mut cut: String = template.chars().take(80).collect();
    if cut.len() < template.len() {
        cut.push_str("...");
    }
    cut
}

/// Prints a value the way it appears inside a rendered string.
pub fn to_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => match number.as_f64() {
            // Integral floats print without `.0`, like integers.
            Some(float) if number.is_f64() && float.fract() == 0.0 && float.abs() < 1e15 => {
                format!("{}", float as i64)
            }
            _ => number.to_string(),
        },
        other => other.to_string(),
    }
}

/// One step of a path: `.name` or `['name']` or `[0]`.
#[derive(Debug, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Parses `root(.key | ['key'] | [n])*`.
fn parse_path(expression: &str) -> Result<Vec<Step>, String> {
    if expression.is_empty() {
        return Err("empty expression".to_string());
    }
    let chars: Vec<char> = expression.chars().collect();
    let mut steps = Vec::new();
    let mut pos = 0;
    let ident = |pos: &mut usize| -> Option<String> {
        let start = *pos;
        while let Some(&ch) = chars.get(*pos) {
            let ok = ch == '_' || ch.is_ascii_alphabetic() || (*pos > start && ch.is_ascii_digit());
            if !ok {
                break;
            }
            *pos += 1;
        }
        let taken: String = chars.get(start..*pos).unwrap_or_default().iter().collect();
        (!taken.is_empty()).then_some(taken)
    };
    let unsupported = || {
        "unsupported expression (only dotted paths such as `inputs.name` are allowed)".to_string()
    };

    steps.push(Step::Key(ident(&mut pos).ok_or_else(unsupported)?));
    while pos < chars.len() {
        match chars.get(pos) {
            Some('.') => {
                pos += 1;
                // Pebble reads `.0` as an index; keys are identifiers.
                let start = pos;
                while chars.get(pos).is_some_and(|ch| ch.is_ascii_digit()) {
                    pos += 1;
                }
                if pos > start {
                    let digits: String = chars.get(start..pos).unwrap_or_default().iter().collect();
                    steps.push(Step::Index(digits.parse().map_err(|_| unsupported())?));
                } else {
                    steps.push(Step::Key(ident(&mut pos).ok_or_else(unsupported)?));
                }
            }
            Some('[') => {
                pos += 1;
                match chars.get(pos) {
                    Some(&quote) if quote == '\'' || quote == '"' => {
                        pos += 1;
                        let start = pos;
                        while chars.get(pos).is_some_and(|&ch| ch != quote) {
                            pos += 1;
                        }
                        let key: String = chars
                            .get(start..pos)
                            .ok_or_else(unsupported)?
                            .iter()
                            .collect();
                        if chars.get(pos) != Some(&quote) || chars.get(pos + 1) != Some(&']') {
                            return Err(unsupported());
                        }
                        pos += 2;
                        steps.push(Step::Key(key));
                    }
                    _ => {
                        let start = pos;
                        while chars.get(pos).is_some_and(|ch| ch.is_ascii_digit()) {
                            pos += 1;
                        }
                        if pos == start || chars.get(pos) != Some(&']') {
                            return Err(unsupported());
                        }
                        let digits: String =
                            chars.get(start..pos).unwrap_or_default().iter().collect();
                        steps.push(Step::Index(digits.parse().map_err(|_| unsupported())?));
                        pos += 1;
                    }
                }
            }
            _ => return Err(unsupported()),
        }
    }
    Ok(steps)
}

/// Looks an expression up in the context.
fn evaluate(expression: &str, context: &Value) -> Result<Value, String> {
    let steps = parse_path(expression)?;
    let mut current = context;
    let mut walked = String::new();
    for (position, step) in steps.iter().enumerate() {
        match step {
            Step::Key(key) => {
                if position == 0 && !ROOTS.contains(&key.as_str()) {
                    return Err(format!(
                        "unknown variable `{key}` (available: {})",
                        ROOTS.join(", ")
                    ));
                }
                let next = current.as_object().and_then(|object| object.get(key));
                match next {
                    Some(value) => current = value,
                    None if walked.is_empty() => {
                        return Err(format!("variable `{key}` is not available"))
                    }
                    None => return Err(format!("key `{key}` does not exist in `{walked}`")),
                }
                if !walked.is_empty() {
                    walked.push('.');
                }
                walked.push_str(key);
            }
            Step::Index(index) => {
                match current.as_array().and_then(|items| items.get(*index)) {
                    Some(value) => current = value,
                    None => return Err(format!("index {index} does not exist in `{walked}`")),
                }
                walked.push_str(&format!("[{index}]"));
            }
        }
    }
    Ok(current.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn context() -> Value {
        json!({
            "inputs": {"name": "World", "n": 3, "f": 2.0, "g": 2.5, "flag": true, "none": null,
                       "obj": {"a": [1, 2]}},
            "outputs": {"count": {"vars": {"rows": 4, "my-key": "x"}}},
            "execution": {"id": "abc"},
            "flow": {"id": "hello", "namespace": "company.team"},
            "labels": {"team": "data"}
        })
    }

    #[test]
    fn renders_paths() {
        let ctx = context();
        assert_eq!(
            render("Hello, {{ inputs.name }}!", &ctx).unwrap(),
            "Hello, World!"
        );
        assert_eq!(
            render("{{inputs.n}}|{{ inputs.f }}|{{inputs.g}}", &ctx).unwrap(),
            "3|2|2.5"
        );
        assert_eq!(render("{{ outputs.count.vars.rows }}", &ctx).unwrap(), "4");
        assert_eq!(
            render("{{ outputs.count.vars['my-key'] }}", &ctx).unwrap(),
            "x"
        );
        assert_eq!(
            render("{{ execution.id }}/{{ flow.namespace }}", &ctx).unwrap(),
            "abc/company.team"
        );
        assert_eq!(
            render("{{ labels.team }}{{ inputs.flag }}", &ctx).unwrap(),
            "datatrue"
        );
        assert_eq!(render("{{ inputs.obj }}", &ctx).unwrap(), r#"{"a":[1,2]}"#);
        assert_eq!(
            render("{{ inputs.obj.a[1] }}{{ inputs.obj.a.0 }}", &ctx).unwrap(),
            "21"
        );
        assert_eq!(render("[{{ inputs.none }}]", &ctx).unwrap(), "[]");
        assert_eq!(
            render("no braces }} here", &ctx).unwrap(),
            "no braces }} here"
        );
    }

    #[test]
    fn refuses_what_it_cannot_do() {
        let ctx = context();
        for bad in [
            "{{ inputs.name | upper }}",
            "{% if true %}x{% endif %}",
            "{# comment #}",
            "{{ now() }}",
            "{{ vars.x }}",
            "{{ inputs.missing }}",
            "{{ outputs.nope.vars.x }}",
            "{{ inputs.obj.a[5] }}",
            "{{ inputs.name",
            "{{ }}",
            "{{ inputs.name ~ 'x' }}",
        ] {
            assert!(render(bad, &ctx).is_err(), "{bad}");
        }
        let message = render("{{ inputs.missing }}", &ctx).unwrap_err();
        assert!(message.contains("{{ inputs.missing }}"), "{message}");
    }
}
