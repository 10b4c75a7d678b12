//! Files of a script task's working directory: the execution-context file written before the
//! commands, and the `outputFiles` globs matched after them.

use std::path::{Path, PathBuf};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{Map, Value};

/// Name of the execution-context file, which output-file globs never match.
pub const CONTEXT_FILE: &str = ".kestra-execution-context.json";

/// Characters kept as they are in a storage URI segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Expands `{a,b}` alternatives (not nested) into plain globs.
fn expand_braces(pattern: &str) -> Vec<String> {
    let Some(open) = pattern.find('{') else {
        return vec![pattern.to_string()];
    };
    let Some(close) = pattern
        .get(open..)
        .and_then(|rest| rest.find('}'))
        .map(|end| open + end)
    else {
        return vec![pattern.to_string()];
    };
    let head = pattern.get(..open).unwrap_or_default();
    let tail = pattern.get(close + 1..).unwrap_or_default();
    let choices = pattern.get(open + 1..close).unwrap_or_default();
    choices
        .split(',')
        .flat_map(|choice| expand_braces(&format!("{head}{choice}{tail}")))
        .collect()
}

/// Matches a relative path against a glob the way Java's `glob:` matcher does: `*` and `?`
/// stay inside one directory, `**` crosses directories, `{a,b}` gives alternatives.
pub fn glob_match(pattern: &str, path: &str) -> bool {
    let path: Vec<char> = path.chars().collect();
    expand_braces(pattern).iter().any(|one| {
        let glob: Vec<char> = one.chars().collect();
        matches(&glob, &path)
    })
}

fn matches(glob: &[char], path: &[char]) -> bool {
    match glob.first() {
        None => path.is_empty(),
        Some('*') if glob.get(1) == Some(&'*') => {
            let rest = glob.get(2..).unwrap_or_default();
            // `**/` also matches no directory at all.
            if rest.first() == Some(&'/') && matches(rest.get(1..).unwrap_or_default(), path) {
                return true;
            }
            (0..=path.len()).any(|skip| matches(rest, path.get(skip..).unwrap_or_default()))
        }
        Some('*') => {
            let rest = glob.get(1..).unwrap_or_default();
            for skip in 0..=path.len() {
                if matches(rest, path.get(skip..).unwrap_or_default()) {
                    return true;
                }
                if path.get(skip) == Some(&'/') {
                    break;
                }
            }
            false
        }
        Some('?') => {
            path.first().is_some_and(|ch| *ch != '/')
                && matches(
                    glob.get(1..).unwrap_or_default(),
                    path.get(1..).unwrap_or_default(),
                )
        }
        Some(literal) => {
            path.first() == Some(literal)
                && matches(
                    glob.get(1..).unwrap_or_default(),
                    path.get(1..).unwrap_or_default(),
                )
        }
    }
}

/// Lists the regular files under `dir` as `/`-separated relative paths.
fn list_files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(dir.join(&relative)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = relative.join(entry.file_name());
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => pending.push(path),
                Ok(kind) if kind.is_file() => {
                    let parts: Vec<String> = path
                        .components()
                        .map(|part| part.as_os_str().to_string_lossy().into_owned())
                        .collect();
                    found.push(parts.join("/"));
                }
                _ => {}
            }
        }
    }
    found.sort();
    found
}

/// Copies the working-directory files matching `globs` into storage under `prefix` (a
/// `/`-separated path) and returns the `outputFiles` map of name → `kestra:///` URI.
pub fn store_output_files(
    work_dir: &Path,
    globs: &[String],
    storage_dir: &Path,
    prefix: &str,
) -> Result<Map<String, Value>, String> {
    let mut stored = Map::new();
    for name in list_files(work_dir) {
        if name == CONTEXT_FILE || !globs.iter().any(|glob| glob_match(glob, &name)) {
            continue;
        }
        let relative = format!("{prefix}/{name}");
        let target = storage_dir.join(&relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|error| format!("Unable to store output file `{name}`: {error}"))?;
        }
        std::fs::copy(work_dir.join(&name), &target)
            .map_err(|error| format!("Unable to store output file `{name}`: {error}"))?;
        let encoded: Vec<String> = relative
            .split('/')
            .map(|segment| utf8_percent_encode(segment, SEGMENT).to_string())
            .collect();
        stored.insert(
            name,
            Value::String(format!("kestra:///{}", encoded.join("/"))),
        );
    }
    Ok(stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_java() {
        assert!(glob_match("*.csv", "out.csv"));
        assert!(!glob_match("*.csv", "dir/out.csv"));
        assert!(glob_match("**.csv", "dir/out.csv"));
        assert!(glob_match("**/*.csv", "out.csv"));
        assert!(glob_match("**/*.csv", "a/b/out.csv"));
        assert!(glob_match("dir/*", "dir/x"));
        assert!(!glob_match("dir/*", "dir/x/y"));
        assert!(glob_match("file?.txt", "file1.txt"));
        assert!(!glob_match("file?.txt", "file10.txt"));
        assert!(glob_match("*.{csv,json}", "a.json"));
        assert!(!glob_match("*.{csv,json}", "a.txt"));
        assert!(glob_match("exact.txt", "exact.txt"));
        assert!(!glob_match("exact.txt", "exact.txt2"));
    }

    #[test]
    fn output_files_are_copied_and_named_by_uri() {
        let root = std::env::temp_dir().join(format!("workdir-test-{}", std::process::id()));
        let work = root.join("work");
        let store = root.join("store");
        std::fs::create_dir_all(work.join("sub")).unwrap();
        std::fs::write(work.join("a b.csv"), "1").unwrap();
        std::fs::write(work.join("sub/c.csv"), "2").unwrap();
        std::fs::write(work.join("skip.txt"), "3").unwrap();
        std::fs::write(work.join(CONTEXT_FILE), "{}").unwrap();
        let globs = vec!["**.csv".to_string(), "*.json".to_string()];
        let files = store_output_files(&work, &globs, &store, "ns/f/executions/e").unwrap();
        let names: Vec<&String> = files.keys().collect();
        assert_eq!(names, ["a b.csv", "sub/c.csv"]);
        assert_eq!(files["a b.csv"], "kestra:///ns/f/executions/e/a%20b.csv");
        assert_eq!(
            std::fs::read_to_string(store.join("ns/f/executions/e/sub/c.csv")).unwrap(),
            "2"
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
