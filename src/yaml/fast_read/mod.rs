//! A reader for the block-style YAML that the KFP SDK (PyYAML) and serde_yaml write, many times
//! faster and leaner than serde_yaml, whose loader keeps every event of a document before it
//! builds a single value.
//!
//! It yields exactly the `serde_json::Value` that serde_yaml 0.9 (libyaml's scanner, then
//! serde_yaml's resolution of plain scalars) yields, or [`NotHandled`] for anything outside the
//! subset it reads with certainty; the caller then reads the text with serde_yaml, which also
//! words the errors. Each rule below mirrors libyaml 0.2.5 (`unsafe-libyaml`'s scanner.rs) or
//! serde_yaml's de.rs; where they are intricate or rarely written, the reader declines instead.
//!
//! This file reads the structure (documents, block and flow collections, keys); `scalars`
//! reads plain, quoted and block scalars and resolves plain ones as serde_yaml does.

mod scalars;

use serde_json::{Map, Value};

use scalars::{Lines, resolve_plain};

/// The text uses YAML that this reader leaves to serde_yaml.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotHandled;

type Read<T> = Result<T, NotHandled>;

/// serde_yaml refuses to nest more than 128 collections; well below that the reader defers, so
/// serde_yaml gives its error, and recursion stays shallow.
const MAX_DEPTH: usize = 100;

/// The parent column of a document's top node (libyaml's indent -1). Its plain scalars are
/// read on one line only; libyaml would continue them in any column.
const TOP: usize = usize::MAX;

/// libyaml refuses implicit keys longer than 1024 characters; longer ones go to serde_yaml.
const MAX_KEY_BYTES: usize = 1000;

/// Reads every document of a YAML stream; empty and null documents are skipped, as
/// `yaml::documents` does.
pub fn documents(text: &str) -> Read<Vec<Value>> {
    if !characters_are_simple(text) {
        return Err(NotHandled);
    }
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        line_start: 0,
        next: Next::End,
        depth: 0,
    };
    reader.stream()
}

/// Line feeds and printable characters only. libyaml also breaks lines at CR, U+0085, U+2028
/// and U+2029, skips a BOM at a line start, treats tabs as blanks in places, and refuses other
/// control characters: all of that is left to it.
fn characters_are_simple(text: &str) -> bool {
    let ascii_ok = |byte: u8| byte == b'\n' || (b' '..=b'~').contains(&byte);
    if text.bytes().all(|byte| byte < 0x80 && ascii_ok(byte)) {
        return true;
    }
    text.chars().all(|c| match c {
        '\0'..='\u{7f}' => ascii_ok(c as u8),
        '\u{2028}' | '\u{2029}' | '\u{feff}' => false,
        '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'.. => true,
        _ => false,
    })
}

/// Where the next content is, once a node and the blank and comment lines after it are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    /// A line whose first non-space byte (at `Reader::pos`) is in this column.
    Line(usize),
    /// A `---` line at `Reader::pos`: a new document starts.
    DocumentStart,
    End,
}

/// Where a node starts, which decides what it may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// The start of a line, or after `- `: any node.
    Block,
    /// After `key: ` on the same line: a scalar or a flow collection, not a block collection.
    AfterKey,
}

/// What ends a plain scalar's text on one line, in block context.
#[derive(Debug, Clone, Copy)]
enum PlainEnd {
    /// `:` followed by a space or line end, at this position: the text was a key.
    Colon(usize),
    /// ` #` with the `#` at this position.
    Comment(usize),
    /// The line break (or end of text) at this position.
    LineEnd(usize),
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    line_start: usize,
    next: Next,
    depth: usize,
}

impl Reader<'_> {
    fn stream(&mut self) -> Read<Vec<Value>> {
        let mut documents = Vec::new();
        self.advance_to_content()?;
        loop {
            if self.next == Next::DocumentStart {
                self.pos += 3;
                self.finish_line()?;
            }
            match self.next {
                Next::End => break,
                Next::DocumentStart => continue,
                // libyaml takes a document's top node in any column.
                Next::Line(_) => {
                    let value = self.node(TOP, Place::Block)?;
                    if !value.is_null() {
                        documents.push(value);
                    }
                    match self.next {
                        Next::End => break,
                        Next::DocumentStart => continue,
                        Next::Line(_) => return Err(NotHandled),
                    }
                }
            }
        }
        Ok(documents)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn column(&self) -> usize {
        self.pos - self.line_start
    }

    /// A space, a line break or the end of the text: what must follow `-`, `:` and `---`.
    fn blank_or_end_at(&self, index: usize) -> bool {
        matches!(self.bytes.get(index), None | Some(b' ' | b'\n'))
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    fn line_end_from(&self, index: usize) -> usize {
        self.bytes[index..]
            .iter()
            .position(|&byte| byte == b'\n')
            .map_or(self.bytes.len(), |offset| index + offset)
    }

    fn enter_collection(&mut self) -> Read<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(NotHandled);
        }
        Ok(())
    }

    /// From a line break or a line start, skips blank and comment lines and sets `next`.
    fn advance_to_content(&mut self) -> Read<()> {
        loop {
            match self.peek() {
                None => {
                    self.next = Next::End;
                    return Ok(());
                }
                Some(b'\n') => {
                    self.pos += 1;
                    self.line_start = self.pos;
                    continue;
                }
                Some(_) => {}
            }
            self.skip_spaces();
            let indent = self.column();
            match self.peek() {
                None | Some(b'\n') => continue,
                Some(b'#') => self.pos = self.line_end_from(self.pos),
                Some(_) => {
                    let rest = &self.bytes[self.pos..];
                    let marker = indent == 0 && self.blank_or_end_at(self.pos + 3);
                    if marker && rest.starts_with(b"---") {
                        self.next = Next::DocumentStart;
                    } else if marker && rest.starts_with(b"...") {
                        return Err(NotHandled);
                    } else {
                        self.next = Next::Line(indent);
                    }
                    return Ok(());
                }
            }
        }
    }

    /// After a node on its line, only spaces and a comment may follow.
    fn finish_line(&mut self) -> Read<()> {
        self.skip_spaces();
        match self.peek() {
            None | Some(b'\n') => {}
            // libyaml also takes `'x'#c` for a comment; only ` #` is read here.
            Some(b'#') if self.bytes[self.pos - 1] == b' ' => {
                self.pos = self.line_end_from(self.pos);
            }
            Some(_) => return Err(NotHandled),
        }
        self.advance_to_content()
    }

    /// Reads the node whose first byte is at `pos`. `parent` is the column of the innermost
    /// block collection (libyaml's indent): continuation lines must be indented beyond it.
    fn node(&mut self, parent: usize, place: Place) -> Read<Value> {
        let column = self.column();
        let first = self.bytes[self.pos];
        match first {
            b'-' if self.blank_or_end_at(self.pos + 1) => {
                if place == Place::AfterKey {
                    return Err(NotHandled);
                }
                self.block_sequence(column, false)
            }
            b'[' | b'{' => {
                let value = self.flow_collection()?;
                self.skip_spaces();
                if self.peek() == Some(b':') {
                    return Err(NotHandled);
                }
                self.finish_line()?;
                Ok(value)
            }
            b'|' | b'>' => Ok(Value::String(self.block_scalar(parent)?)),
            b'\'' | b'"' => {
                let (text, multi_line) = self.quoted(Lines::Many)?;
                if self.peek() == Some(b':') && self.blank_or_end_at(self.pos + 1) {
                    if multi_line || place == Place::AfterKey {
                        return Err(NotHandled);
                    }
                    self.pos += 1;
                    return self.block_mapping(column, checked_key(text)?);
                }
                self.finish_line()?;
                Ok(Value::String(text))
            }
            _ => {
                if !plain_can_start(first, self.bytes.get(self.pos + 1).copied(), Context::Block) {
                    return Err(NotHandled);
                }
                let start = self.pos;
                let (end, stop) = self.scan_plain_line(start);
                if let PlainEnd::Colon(colon) = stop {
                    // `key : value` is valid YAML, but neither writer spaces its keys so.
                    if place == Place::AfterKey || end != colon {
                        return Err(NotHandled);
                    }
                    let key = checked_key(self.text[start..end].to_owned())?;
                    self.pos = colon + 1;
                    return self.block_mapping(column, key);
                }
                self.plain_scalar(start, end, stop, parent)
            }
        }
    }

    /// A block mapping in `column`, whose first key is read and `pos` just past its `:`.
    fn block_mapping(&mut self, column: usize, first_key: String) -> Read<Value> {
        self.enter_collection()?;
        let mut map = Map::new();
        let mut key = first_key;
        loop {
            let value = self.mapping_value(column)?;
            // serde_json keeps the last of duplicate keys, serde_yaml's own Value refuses them;
            // neither is what the author meant, so serde_yaml decides.
            if map.insert(key, value).is_some() {
                return Err(NotHandled);
            }
            match self.next {
                Next::Line(indent) if indent == column => key = self.block_key()?,
                Next::Line(indent) if indent < column => break,
                Next::Line(_) => return Err(NotHandled),
                Next::DocumentStart | Next::End => break,
            }
        }
        self.depth -= 1;
        Ok(Value::Object(map))
    }

    /// The value after `key:` of a mapping in `column`.
    fn mapping_value(&mut self, column: usize) -> Read<Value> {
        self.skip_spaces();
        match self.peek() {
            None | Some(b'\n' | b'#') => {
                self.finish_line()?;
                match self.next {
                    Next::Line(indent) if indent > column => self.node(column, Place::Block),
                    // A sequence may sit in its key's column ("indentless").
                    Next::Line(indent)
                        if indent == column
                            && self.peek() == Some(b'-')
                            && self.blank_or_end_at(self.pos + 1) =>
                    {
                        self.block_sequence(column, true)
                    }
                    _ => Ok(Value::Null),
                }
            }
            Some(_) => self.node(column, Place::AfterKey),
        }
    }

    /// A key at the start of a line, up to and past its `:`.
    fn block_key(&mut self) -> Read<String> {
        let first = self.bytes[self.pos];
        if first == b'\'' || first == b'"' {
            let (text, _) = self.quoted(Lines::One)?;
            if self.peek() != Some(b':') || !self.blank_or_end_at(self.pos + 1) {
                return Err(NotHandled);
            }
            self.pos += 1;
            return checked_key(text);
        }
        if !plain_can_start(first, self.bytes.get(self.pos + 1).copied(), Context::Block) {
            return Err(NotHandled);
        }
        let start = self.pos;
        match self.scan_plain_line(start) {
            (end, PlainEnd::Colon(colon)) if end == colon => {
                self.pos = colon + 1;
                checked_key(self.text[start..end].to_owned())
            }
            _ => Err(NotHandled),
        }
    }

    /// A block sequence whose first `-` is at `pos`, in `column`. `in_key_column`: it is the
    /// value of a key in the same column, so a line there that is not `- ` ends it.
    fn block_sequence(&mut self, column: usize, in_key_column: bool) -> Read<Value> {
        self.enter_collection()?;
        let mut items = Vec::new();
        loop {
            self.pos += 1;
            self.skip_spaces();
            let item = match self.peek() {
                None | Some(b'\n' | b'#') => {
                    self.finish_line()?;
                    match self.next {
                        Next::Line(indent) if indent > column => self.node(column, Place::Block)?,
                        _ => Value::Null,
                    }
                }
                Some(_) => self.node(column, Place::Block)?,
            };
            items.push(item);
            match self.next {
                Next::Line(indent)
                    if indent == column
                        && self.peek() == Some(b'-')
                        && self.blank_or_end_at(self.pos + 1) => {}
                Next::Line(indent) if indent < column => break,
                Next::Line(indent) if indent == column && in_key_column => break,
                Next::Line(_) => return Err(NotHandled),
                Next::DocumentStart | Next::End => break,
            }
        }
        self.depth -= 1;
        Ok(Value::Array(items))
    }

    /// A flow collection (`[...]` or `{...}`) on one line, starting at `pos`.
    fn flow_collection(&mut self) -> Read<Value> {
        self.enter_collection()?;
        let is_sequence = self.bytes[self.pos] == b'[';
        let close = if is_sequence { b']' } else { b'}' };
        self.pos += 1;
        self.skip_spaces();
        let value = if is_sequence {
            let mut items = Vec::new();
            if self.peek() == Some(close) {
                self.pos += 1;
            } else {
                loop {
                    items.push(self.flow_item()?);
                    if self.flow_separator(close)? {
                        break;
                    }
                }
            }
            Value::Array(items)
        } else {
            let mut map = Map::new();
            if self.peek() == Some(close) {
                self.pos += 1;
            } else {
                loop {
                    let key = self.flow_key()?;
                    let value = self.flow_item()?;
                    if map.insert(key, value).is_some() {
                        return Err(NotHandled);
                    }
                    if self.flow_separator(close)? {
                        break;
                    }
                }
            }
            Value::Object(map)
        };
        self.depth -= 1;
        Ok(value)
    }

    /// After a flow entry: `,` (true if the collection goes on) or the closing bracket. A
    /// trailing comma is valid YAML, but left to serde_yaml.
    fn flow_separator(&mut self, close: u8) -> Read<bool> {
        self.skip_spaces();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                self.skip_spaces();
                if self.peek() == Some(close) {
                    return Err(NotHandled);
                }
                Ok(false)
            }
            Some(byte) if byte == close => {
                self.pos += 1;
                Ok(true)
            }
            _ => Err(NotHandled),
        }
    }

    /// A flow mapping's key, up to and past `: `.
    fn flow_key(&mut self) -> Read<String> {
        let key = match self.peek() {
            Some(b'\'' | b'"') => self.quoted(Lines::One)?.0,
            _ => {
                let start = self.pos;
                let end = self.scan_flow_plain()?;
                self.text[start..end].to_owned()
            }
        };
        if self.peek() != Some(b':') || self.bytes.get(self.pos + 1) != Some(&b' ') {
            return Err(NotHandled);
        }
        self.pos += 1;
        self.skip_spaces();
        checked_key(key)
    }

    /// A flow entry's value: a nested flow collection or a one-line scalar.
    fn flow_item(&mut self) -> Read<Value> {
        match self.peek() {
            Some(b'[' | b'{') => self.flow_collection(),
            Some(b'\'' | b'"') => Ok(Value::String(self.quoted(Lines::One)?.0)),
            _ => {
                let start = self.pos;
                let end = self.scan_flow_plain()?;
                if self.peek() == Some(b':') {
                    return Err(NotHandled);
                }
                resolve_plain(&self.text[start..end])
            }
        }
    }

    /// Scans a plain scalar in a flow collection up to `,`, a bracket or `:`; returns the end
    /// of its text, trailing spaces excluded, with `pos` there. `#` and line breaks inside
    /// are left to serde_yaml.
    fn scan_flow_plain(&mut self) -> Read<usize> {
        let first = self.peek().ok_or(NotHandled)?;
        if !plain_can_start(first, self.bytes.get(self.pos + 1).copied(), Context::Flow) {
            return Err(NotHandled);
        }
        let mut text_end = self.pos;
        while let Some(byte) = self.peek() {
            match byte {
                b',' | b'[' | b']' | b'{' | b'}' | b':' => break,
                b'#' | b'\n' => return Err(NotHandled),
                b' ' => self.pos += 1,
                _ => {
                    self.pos += 1;
                    text_end = self.pos;
                }
            }
        }
        if self.pos >= self.bytes.len() {
            return Err(NotHandled);
        }
        Ok(text_end)
    }
}

/// The bytes that cannot start a plain scalar (or, from this reader's view, a continuation
/// line), because they start another kind of token.
fn is_indicator(byte: u8) -> bool {
    matches!(
        byte,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    )
}

/// A plain scalar may start with any non-indicator, or with `-` before a non-blank (`-c`,
/// `-1`), and in block context also with `?` or `:` before a non-blank.
fn plain_can_start(first: u8, second: Option<u8>, context: Context) -> bool {
    let before_non_blank = !matches!(second, None | Some(b' ' | b'\n'));
    match first {
        b'-' => before_non_blank,
        b'?' | b':' => before_non_blank && context == Context::Block,
        _ => !is_indicator(first) && first != b' ' && first != b'\n',
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Context {
    Block,
    Flow,
}

/// Whether the line at the start of `rest` has a `:` followed by a blank, which in a plain
/// scalar's continuation line makes libyaml fail.
fn has_value_colon(rest: &[u8]) -> bool {
    let line = rest.split(|&byte| byte == b'\n').next().unwrap_or_default();
    line.windows(2).any(|pair| pair == b": ") || line.ends_with(b":")
}

/// Keys go to serde_json as their text; merge keys and overlong keys go to serde_yaml.
fn checked_key(key: String) -> Read<String> {
    if key.len() > MAX_KEY_BYTES || key == "<<" {
        return Err(NotHandled);
    }
    Ok(key)
}
