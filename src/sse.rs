//! An incremental reader of `text/event-stream` bodies (Server-Sent Events).
//!
//! Kestra's follow routes send one execution or log entry per event and name the phase in
//! the SSE `id` field (`start`, `progress`, `end`). The body arrives in chunks that may cut a
//! line, or a `\r\n` pair, anywhere; [`EventReader::push`] takes each decoded chunk and
//! returns the events it completed, following the parsing rules of the HTML standard.

/// One dispatched event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Event {
    /// The last `id` field seen on the stream (it carries over to later events).
    pub id: Option<String>,
    /// The `event` field, `message` when the event has none.
    pub name: String,
    /// The `data` fields joined with `\n`.
    pub data: String,
}

/// The largest event (or line) kept while it is incomplete: a stream that never ends its
/// line must not take all the memory. An execution's JSON stays far below it.
pub const MAX_EVENT_BYTES: usize = 64 * 1024 * 1024;

/// The stream sent an event or line larger than [`MAX_EVENT_BYTES`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventTooLarge;

/// Reads events out of a stream given chunk by chunk.
#[derive(Debug, Default)]
pub struct EventReader {
    /// The unfinished line carried over from the previous chunk.
    line: String,
    /// The previous chunk ended with `\r`: a `\n` starting the next one belongs to it.
    after_carriage_return: bool,
    /// No character has been read yet (a leading byte-order mark is dropped).
    started: bool,
    last_id: Option<String>,
    name: Option<String>,
    data: Option<String>,
}

impl EventReader {
    /// A reader at the start of a stream.
    pub fn new() -> EventReader {
        EventReader::default()
    }

    /// Reads one decoded chunk; returns the events it completed, in order, or an error once
    /// the event being read grows past [`MAX_EVENT_BYTES`].
    pub fn push(&mut self, chunk: &str) -> Result<Vec<Event>, EventTooLarge> {
        let mut events = Vec::new();
        let mut rest = chunk;
        if !self.started && !rest.is_empty() {
            self.started = true;
            rest = rest.strip_prefix('\u{feff}').unwrap_or(rest);
        }
        if self.after_carriage_return {
            self.after_carriage_return = false;
            rest = rest.strip_prefix('\n').unwrap_or(rest);
        }

        while let Some(end) = rest.find(['\r', '\n']) {
            let (piece, after) = rest.split_at(end);
            self.line.push_str(piece);
            let line = std::mem::take(&mut self.line);
            if let Some(event) = self.read_line(&line) {
                events.push(event);
            }

            rest = match after.strip_prefix("\r\n") {
                Some(next) => next,
                None if after == "\r" => {
                    self.after_carriage_return = true;
                    ""
                }
                None => after.get(1..).unwrap_or(""),
            };
        }
        self.line.push_str(rest);
        let pending = self.line.len() + self.data.as_ref().map_or(0, String::len);
        if pending > MAX_EVENT_BYTES {
            return Err(EventTooLarge);
        }
        Ok(events)
    }

    /// Handles one complete line; a blank line dispatches the pending event.
    fn read_line(&mut self, line: &str) -> Option<Event> {
        if line.is_empty() {
            let name = self.name.take();
            let data = self.data.take()?;
            return Some(Event {
                id: self.last_id.clone(),
                name: name.unwrap_or_else(|| "message".to_owned()),
                data,
            });
        }
        if line.starts_with(':') {
            return None;
        }

        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            "event" => self.name = Some(value.to_owned()),
            // The standard ignores an id holding NUL; so does this reader.
            "id" if !value.contains('\0') => self.last_id = Some(value.to_owned()),
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl EventReader {
        fn push_ok(&mut self, chunk: &str) -> Vec<Event> {
            self.push(chunk).expect("events within the limit")
        }
    }

    #[test]
    fn an_endless_line_is_an_error_not_a_leak() {
        let mut reader = EventReader::new();
        let chunk = "y".repeat(1024 * 1024);
        assert_eq!(reader.push("data: "), Ok(Vec::new()));
        let mut result = Ok(Vec::new());
        for _ in 0..=64 {
            result = reader.push(&chunk);
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(EventTooLarge));
    }

    fn event(id: Option<&str>, data: &str) -> Event {
        Event {
            id: id.map(str::to_owned),
            name: "message".to_owned(),
            data: data.to_owned(),
        }
    }

    #[test]
    fn reads_kestra_follow_events() {
        let mut reader = EventReader::new();
        let body = "id: start\ndata: {\"id\":\"a\"}\n\nid: end\ndata: {\"id\":\"a\",\"x\":1}\n\n";
        assert_eq!(
            reader.push_ok(body),
            [
                event(Some("start"), "{\"id\":\"a\"}"),
                event(Some("end"), "{\"id\":\"a\",\"x\":1}"),
            ]
        );
    }

    #[test]
    fn every_split_point_gives_the_same_events() {
        let body = "\u{feff}id: start\r\ndata: a\r\n\r\n: comment\rid:progress\revent: x\r\
                    data:b\rdata: c\r\rdata\n\n";
        let whole = EventReader::new().push_ok(body);
        assert_eq!(whole.len(), 3);
        assert_eq!(whole[1].name, "x");
        assert_eq!(whole[1].data, "b\nc");
        assert_eq!(whole[2], event(Some("progress"), ""));

        for split in 0..=body.len() {
            if !body.is_char_boundary(split) {
                continue;
            }
            let mut reader = EventReader::new();
            let (first, second) = body.split_at(split);
            let mut events = reader.push_ok(first);
            events.extend(reader.push_ok(second));
            assert_eq!(events, whole, "split at {split}");
        }
    }

    #[test]
    fn one_character_at_a_time() {
        let body = "id: end\r\ndata: {\"é\": \"😀\"}\r\n\r\n";
        let mut reader = EventReader::new();
        let mut events = Vec::new();
        for character in body.chars() {
            events.extend(reader.push_ok(&character.to_string()));
        }
        assert_eq!(events, [event(Some("end"), "{\"é\": \"😀\"}")]);
    }

    #[test]
    fn events_without_data_or_unfinished_are_not_dispatched() {
        let mut reader = EventReader::new();
        assert!(reader.push_ok("id: start\n\nevent: x\n\n").is_empty());
        assert!(reader.push_ok("data: half").is_empty());
        assert_eq!(reader.push_ok("\n\n"), [event(Some("start"), "half")]);
    }

    #[test]
    fn unknown_fields_and_nul_ids_are_ignored() {
        let mut reader = EventReader::new();
        let events = reader.push_ok("retry: 10\nfoo: bar\nid: a\0b\ndata: x\n\n");
        assert_eq!(events, [event(None, "x")]);
    }
}
