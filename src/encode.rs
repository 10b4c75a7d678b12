//! The JSON text of values a script sends, with nothing lost silently.
//!
//! The fast path is the host's `JSON.stringify`, whose text never enters WebAssembly memory
//! (`printObjectIfPlain` in `src/js/host.js`). `JSON.stringify` changes some values without
//! a word: `NaN` becomes `null`, a `Map` `{}`, a typed array an object of indexes. Each of
//! those leaves a trace in the text (`null`, `{}`, `{"0":`, see [`CLOSER_LOOK_TRACES`]),
//! so only a text with such a trace, or a call that threw, comes here to be checked value
//! by value. That check maps what has a faithful JSON form and refuses the rest with a
//! `TypeError` naming the path of the bad value:
//!
//! | Value | Sent as |
//! | --- | --- |
//! | `undefined`, function, symbol | left out of objects, `null` in arrays (as `JSON.stringify`) |
//! | object with `toJSON` (`Date` included) | what `toJSON` returns |
//! | `BigInt` | the exact integer literal |
//! | `Map` with string keys | an object |
//! | `Set` | an array |
//! | typed array | an array of numbers |
//! | `NaN`, `Infinity`, invalid `Date`, circular reference | refused |
//! | `ArrayBuffer`, `DataView`, `RegExp`, `Error`, `Promise`, weak collections, `Blob` | refused |
//! | instance of another class with no own data (generator, `Intl` object) | refused |
//! | nesting deeper than 10,000 levels | refused |

use js_sys::{Array, ArrayBuffer, Function, JsString, Object, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::errors::{describe, type_error};
use crate::host;
use crate::placeholders::{bigint_mark, restore_bigints};
use crate::value_path::{self, Segment};

/// What makes JSON text worth a closer look: traces of a value `JSON.stringify` may have
/// changed silently, and the characters a protocol line must escape. The host's fast path
/// looks for each; one found sends the value here.
pub const CLOSER_LOOK_TRACES: [&str; 6] =
    ["null", "{}", "{\"0\":", "\u{85}", "\u{2028}", "\u{2029}"];

/// Types without a faithful JSON form, by constructor name, for the error message.
const REFUSED_CLASSES: [&str; 10] = [
    "ArrayBuffer",
    "SharedArrayBuffer",
    "DataView",
    "RegExp",
    "Error",
    "Promise",
    "WeakMap",
    "WeakSet",
    "WeakRef",
    "Blob",
];

/// The JSON text of `value`, named `root` in errors raised for `context`: every value is
/// checked, then written with the conversions of the table above.
pub fn json_text(value: &JsValue, context: &str, root: &str) -> Result<JsString, JsValue> {
    let conversions =
        check(value, root).map_err(|problem| type_error(&format!("{context}: {problem}")))?;

    if !conversions {
        return JSON::stringify(value)
            .map_err(|error| type_error(&format!("{context}: {}", describe(&error))));
    }

    let nonce = format!("{:016x}", (js_sys::Math::random() * 2f64.powi(53)) as u64);
    let replacer_nonce = nonce.clone();
    let replacer = Closure::<dyn FnMut(JsValue, JsValue) -> JsValue>::new(
        move |_key: JsValue, value: JsValue| convert(value, &replacer_nonce),
    );
    let replacer_function: &Function = replacer.as_ref().unchecked_ref();
    let text = JSON::stringify_with_replacer(value, replacer_function)
        .map_err(|error| type_error(&format!("{context}: {}", describe(&error))))?;
    let text = String::from(text);
    Ok(JsString::from(restore_bigints(&text, &nonce)))
}

/// Replaces a value that has a faithful JSON form other than its own by that form.
fn convert(value: JsValue, nonce: &str) -> JsValue {
    if value.is_bigint() {
        return JsValue::from_str(&bigint_mark(nonce, &host::string_of(&value)));
    }
    if value.is_instance_of::<js_sys::Map>() {
        return Object::from_entries(&value)
            .map(JsValue::from)
            .unwrap_or(value);
    }
    if value.is_instance_of::<js_sys::Set>() || is_typed_array(&value) {
        return host::array_from(&value).map(JsValue::from).unwrap_or(value);
    }
    if is_boxed_bigint(&value) {
        return JsValue::from_str(&bigint_mark(nonce, &host::string_of(&value)));
    }
    value
}

/// Deeper values are refused on the checked path: its bookkeeping grows with the depth.
const MAX_CHECKED_DEPTH: usize = 10_000;

/// One step of a path: the step before it (an index into the list of steps) and its segment.
/// Paths share their beginnings, so memory grows with the number of values, not with their
/// depth times their number.
struct Step {
    parent: Option<usize>,
    segment: Segment,
}

/// One value to check: the key its holder has it under (for `toJSON`), its last step, and
/// the number of containers above it.
struct Visit {
    value: JsValue,
    key: JsValue,
    step: Option<usize>,
    depth: usize,
}

/// The segments from the root to `step`.
fn path_of(steps: &[Step], mut step: Option<usize>) -> Vec<Segment> {
    let mut segments = Vec::new();
    while let Some(current) = step.and_then(|index| steps.get(index)) {
        segments.push(current.segment.clone());
        step = current.parent;
    }
    segments.reverse();
    segments
}

/// Checks every value below `value`; `Ok(true)` when some need converting, an error text
/// naming the path of the first value that cannot be sent otherwise.
fn check(value: &JsValue, root: &str) -> Result<bool, String> {
    let mut conversions = false;
    let mut steps: Vec<Step> = Vec::new();
    // Objects on the path to the value being checked, to find circular references: a JS Set
    // answers "is it an ancestor" at once, the list gives the ancestor's path for the error.
    let on_path = js_sys::Set::new(&JsValue::UNDEFINED);
    let mut ancestors: Vec<(JsValue, Option<usize>)> = Vec::new();
    // `None` marks the end of an object's children: it leaves the ancestors then.
    let mut pending: Vec<Option<Visit>> = vec![Some(Visit {
        value: value.clone(),
        key: JsValue::from_str(""),
        step: None,
        depth: 0,
    })];

    while let Some(next) = pending.pop() {
        let Some(Visit {
            value,
            key,
            step,
            depth,
        }) = next
        else {
            if let Some((object, _)) = ancestors.pop() {
                on_path.delete(&object);
            }
            continue;
        };
        let name = || value_path::render(root, &path_of(&steps, step));

        if let Some(date) = value.dyn_ref::<js_sys::Date>() {
            if date.get_time().is_nan() {
                return Err(format!("{} is an invalid Date", name()));
            }
        }
        let value = apply_to_json(&value, &key)
            .map_err(|error| format!("{}: toJSON threw: {}", name(), describe(&error)))?;

        match value.js_typeof().as_string().as_deref() {
            Some("number") => check_number(value.as_f64(), &name)?,
            Some("bigint") => conversions = true,
            Some("undefined" | "function" | "symbol") if step.is_none() => {
                return Err(format!("{} has no JSON form", name()));
            }
            Some("object") if !value.is_null() => {
                if let Some(unboxed) = unbox_number(&value) {
                    check_number(Some(unboxed), &name)?;
                    continue;
                }
                if is_boxed_bigint(&value) {
                    conversions = true;
                    continue;
                }
                if on_path.has(&value) {
                    let earlier = ancestors
                        .iter()
                        .find(|(object, _)| *object == value)
                        .map(|(_, earlier)| path_of(&steps, *earlier))
                        .unwrap_or_default();
                    return Err(format!(
                        "{} refers back to {}: a circular structure has no JSON form",
                        name(),
                        value_path::render(root, &earlier)
                    ));
                }
                if let Some(class) = refused_class(&value) {
                    let article = if class.starts_with(['A', 'E']) {
                        "an"
                    } else {
                        "a"
                    };
                    return Err(format!(
                        "{} is {article} {class}, which has no JSON form",
                        name()
                    ));
                }
                if depth >= MAX_CHECKED_DEPTH {
                    return Err(format!(
                        "{} is nested deeper than {MAX_CHECKED_DEPTH} levels",
                        name()
                    ));
                }

                let children = children(&value, &name)?;
                conversions |= children.converted;
                on_path.add(&value);
                ancestors.push((value.clone(), step));
                pending.push(None);
                for (segment, child_key, child) in children.entries.into_iter().rev() {
                    steps.push(Step {
                        parent: step,
                        segment,
                    });
                    pending.push(Some(Visit {
                        value: child,
                        key: child_key,
                        step: Some(steps.len() - 1),
                        depth: depth + 1,
                    }));
                }
            }
            _ => {}
        }
    }
    Ok(conversions)
}

/// The values inside a container, and whether the container itself needs converting.
struct Children {
    entries: Vec<(Segment, JsValue, JsValue)>,
    converted: bool,
}

fn children(value: &JsValue, name: &dyn Fn() -> String) -> Result<Children, String> {
    let unreadable = |error: JsValue| format!("{} could not be read: {}", name(), describe(&error));

    if value.is_instance_of::<js_sys::Map>() {
        let pairs = host::array_from(value).map_err(unreadable)?;
        let mut entries = Vec::new();
        for pair in pairs.iter() {
            let pair: Array = pair.unchecked_into();
            let key = pair.get(0);
            let Some(text) = key.as_string() else {
                return Err(format!(
                    "{} is a Map with a key that is not a string ({}), which has no JSON form",
                    name(),
                    host::string_of(&key)
                ));
            };
            entries.push((Segment::Key(text), key, pair.get(1)));
        }
        return Ok(Children {
            entries,
            converted: true,
        });
    }

    let indexed = value.is_instance_of::<js_sys::Set>() || is_typed_array(value);
    if indexed || host::is_array(value) {
        // A copy made by the host: a detached buffer or a Proxy's trap throws there, not here.
        let items = host::array_from(value).map_err(unreadable)?;
        let entries = items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                let index = u32::try_from(index).unwrap_or(u32::MAX);
                (
                    Segment::Index(index),
                    JsValue::from_str(&index.to_string()),
                    item,
                )
            })
            .collect();
        return Ok(Children {
            entries,
            converted: indexed,
        });
    }

    let pairs = host::object_entries(value).map_err(unreadable)?;
    if pairs.length() == 0 {
        if let Some(class) = opaque_class(value) {
            return Err(format!(
                "{} is {class} with no enumerable data, which JSON would write as {{}}",
                name()
            ));
        }
    }
    let entries = pairs
        .iter()
        .map(|pair| {
            let pair: Array = pair.unchecked_into();
            let key = pair.get(0);
            (
                Segment::Key(key.as_string().unwrap_or_default()),
                key,
                pair.get(1),
            )
        })
        .collect();
    Ok(Children {
        entries,
        converted: false,
    })
}

/// What `JSON.stringify` writes for an object with a `toJSON` method: its result.
fn apply_to_json(value: &JsValue, key: &JsValue) -> Result<JsValue, JsValue> {
    if !value.is_object() {
        return Ok(value.clone());
    }
    let to_json = Reflect::get(value, &JsValue::from_str("toJSON"))?;
    match to_json.dyn_ref::<Function>() {
        Some(function) => function.call1(value, key),
        None => Ok(value.clone()),
    }
}

fn check_number(number: Option<f64>, name: &dyn Fn() -> String) -> Result<(), String> {
    match number {
        Some(number) if !number.is_finite() => Err(format!(
            "{} is {}, which JSON cannot carry",
            name(),
            if number.is_nan() {
                "NaN"
            } else if number > 0.0 {
                "Infinity"
            } else {
                "-Infinity"
            }
        )),
        _ => Ok(()),
    }
}

/// The number inside a `Number` object, which `JSON.stringify` writes as that number.
fn unbox_number(value: &JsValue) -> Option<f64> {
    let constructor = Reflect::get(&js_sys::global(), &JsValue::from_str("Number")).ok()?;
    if !host::instance_of(value, &constructor).unwrap_or(false) {
        return None;
    }
    Some(value.unchecked_ref::<js_sys::Number>().value_of())
}

/// For an object whose prototype is neither `Object.prototype` nor null: its class, as
/// "a Date", "an instance of Foo". Such an object with no own data is not a record.
fn opaque_class(value: &JsValue) -> Option<String> {
    let prototype = Reflect::get_prototype_of(value).ok()?;
    let object_prototype = Reflect::get_prototype_of(&Object::new()).ok()?;
    if prototype.is_null() || JsValue::from(prototype.clone()) == JsValue::from(object_prototype) {
        return None;
    }
    let name = Reflect::get(&prototype, &JsValue::from_str("constructor"))
        .ok()
        .and_then(|constructor| Reflect::get(&constructor, &JsValue::from_str("name")).ok())
        .and_then(|name| name.as_string())
        .filter(|name| !name.is_empty());
    Some(match name {
        Some(name) => format!("an instance of {name}"),
        None => "an object of another class".to_owned(),
    })
}

/// A `BigInt` object (`Object(5n)`), which `JSON.stringify` refuses as it refuses a bigint.
fn is_boxed_bigint(value: &JsValue) -> bool {
    Reflect::get(&js_sys::global(), &JsValue::from_str("BigInt"))
        .is_ok_and(|constructor| host::instance_of(value, &constructor).unwrap_or(false))
}

fn is_typed_array(value: &JsValue) -> bool {
    ArrayBuffer::is_view(value) && !value.is_instance_of::<js_sys::DataView>()
}

/// The constructor name of an object with no faithful JSON form, if it is one.
fn refused_class(value: &JsValue) -> Option<&'static str> {
    let global = js_sys::global();
    REFUSED_CLASSES.into_iter().find(|class| {
        Reflect::get(&global, &JsValue::from_str(class))
            .ok()
            .filter(JsValue::is_function)
            .is_some_and(|constructor| host::instance_of(value, &constructor).unwrap_or(false))
    })
}
