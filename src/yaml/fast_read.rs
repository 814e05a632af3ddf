//! A reader for the block-style YAML that the KFP SDK (PyYAML) and serde_yaml write, many times
//! faster and leaner than serde_yaml, whose loader keeps every event of a document before it
//! builds a single value.
//!
//! It yields exactly the `serde_json::Value` that serde_yaml 0.9 (libyaml's scanner, then
//! serde_yaml's resolution of plain scalars) yields, or [`NotHandled`] for anything outside the
//! subset it reads with certainty; the caller then reads the text with serde_yaml, which also
//! words the errors. Each rule below mirrors libyaml 0.2.5 (`unsafe-libyaml`'s scanner.rs) or
//! serde_yaml's de.rs; where they are intricate or rarely written, the reader declines instead.

use serde_json::{Map, Number, Value};

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

    /// Scans a plain scalar's text on one line in block context (libyaml's rules: it ends at
    /// `: `, at ` #` and at the line end). Returns the end of its text, trailing spaces excluded.
    fn scan_plain_line(&self, from: usize) -> (usize, PlainEnd) {
        let bytes = self.bytes;
        let mut index = from;
        let mut text_end = from;
        loop {
            match bytes.get(index) {
                None | Some(b'\n') => return (text_end, PlainEnd::LineEnd(index)),
                Some(b' ') => {
                    if bytes.get(index + 1) == Some(&b'#') {
                        return (text_end, PlainEnd::Comment(index + 1));
                    }
                    index += 1;
                }
                Some(b':') if self.blank_or_end_at(index + 1) => {
                    return (text_end, PlainEnd::Colon(index));
                }
                Some(_) => {
                    index += 1;
                    text_end = index;
                }
            }
        }
    }

    /// A plain scalar value whose first line's text is `start..end`, ended by `stop`; later
    /// lines indented beyond `parent` continue it, folded as libyaml folds them.
    fn plain_scalar(&mut self, start: usize, end: usize, stop: PlainEnd, parent: usize) -> Read<Value> {
        let mut folded: Option<String> = None;
        let mut stop = stop;
        loop {
            match stop {
                PlainEnd::Colon(_) => return Err(NotHandled),
                PlainEnd::Comment(hash) => {
                    self.pos = self.line_end_from(hash);
                    break;
                }
                PlainEnd::LineEnd(line_end) => {
                    self.pos = line_end;
                    let Some((breaks, line_start, first)) = self.continuation(parent)? else {
                        break;
                    };
                    let (segment_end, segment_stop) = self.scan_plain_line(first);
                    let text = folded.get_or_insert_with(|| self.text[start..end].to_owned());
                    push_line_folding(text, breaks);
                    text.push_str(&self.text[first..segment_end]);
                    self.line_start = line_start;
                    stop = segment_stop;
                }
            }
        }
        self.advance_to_content()?;
        match folded {
            Some(text) => resolve_plain(&text),
            None => resolve_plain(&self.text[start..end]),
        }
    }

    /// Looks past the line break at `pos` for a line continuing a plain scalar: returns the
    /// number of line breaks before it, its start and its first non-space byte, or `None` when
    /// the scalar ends there.
    fn continuation(&self, parent: usize) -> Read<Option<(usize, usize, usize)>> {
        let bytes = self.bytes;
        let mut index = self.pos;
        let mut breaks = 0;
        loop {
            if index >= bytes.len() {
                return Ok(None);
            }
            // At a line break.
            index += 1;
            breaks += 1;
            let line_start = index;
            while bytes.get(index) == Some(&b' ') {
                index += 1;
            }
            match bytes.get(index) {
                None => return Ok(None),
                Some(b'\n') => continue,
                Some(&first) => {
                    if index - line_start <= parent || first == b'#' {
                        return Ok(None);
                    }
                    // libyaml reads `- x`, `&a` or `[x]` here as more text, but fails on a
                    // `key: value` line.
                    if has_value_colon(&bytes[index..]) {
                        return Err(NotHandled);
                    }
                    return Ok(Some((breaks, line_start, index)));
                }
            }
        }
    }

    /// A single- or double-quoted scalar starting at `pos`; leaves `pos` past the closing
    /// quote. Returns the text and whether it spanned lines.
    fn quoted(&mut self, lines: Lines) -> Read<(String, bool)> {
        let bytes = self.bytes;
        let double = bytes[self.pos] == b'"';
        let quote = bytes[self.pos];
        let mut index = self.pos + 1;
        let mut text = String::new();
        let mut multi_line = false;
        loop {
            let run_start = index;
            while let Some(&byte) = bytes.get(index) {
                if byte == quote || byte == b'\n' || (double && byte == b'\\') {
                    break;
                }
                index += 1;
            }
            match bytes.get(index) {
                None => return Err(NotHandled),
                Some(b'\n') => {
                    // Spaces before a line break are dropped, the break folded.
                    text.push_str(self.text[run_start..index].trim_end_matches(' '));
                    multi_line = true;
                    index = self.fold_quoted_lines(index, lines, &mut text, false)?;
                }
                Some(b'\\') => {
                    text.push_str(&self.text[run_start..index]);
                    let line_before = self.line_start;
                    index = self.escape(index, lines, &mut text)?;
                    multi_line |= self.line_start != line_before;
                }
                Some(_) => {
                    text.push_str(&self.text[run_start..index]);
                    if !double && bytes.get(index + 1) == Some(&quote) {
                        text.push('\'');
                        index += 2;
                    } else {
                        index += 1;
                        break;
                    }
                }
            }
        }
        self.pos = index;
        Ok((text, multi_line))
    }

    /// Folds the line break at `index` and any blank lines after it into `text` (one break is
    /// a space, n breaks n-1 newlines; after an escaped break every break is a newline), skips
    /// the next line's indentation and returns where its text starts. libyaml does not check
    /// that indentation (PyYAML indents continuation lines as far as the `- ` before them),
    /// only that no document marker is in column 0.
    fn fold_quoted_lines(
        &mut self,
        mut index: usize,
        lines: Lines,
        text: &mut String,
        escaped_break: bool,
    ) -> Read<usize> {
        let bytes = self.bytes;
        if lines == Lines::One {
            return Err(NotHandled);
        }
        let mut breaks = 0;
        loop {
            index += 1;
            breaks += 1;
            self.line_start = index;
            while bytes.get(index) == Some(&b' ') {
                index += 1;
            }
            if bytes.get(index) != Some(&b'\n') {
                break;
            }
        }
        let at_column_0 = &bytes[self.line_start..];
        let marker = (at_column_0.starts_with(b"---") || at_column_0.starts_with(b"..."))
            && self.blank_or_end_at(self.line_start + 3);
        if index >= bytes.len() || marker {
            return Err(NotHandled);
        }
        if escaped_break {
            text.extend(std::iter::repeat_n('\n', breaks - 1));
        } else {
            push_line_folding(text, breaks);
        }
        Ok(index)
    }

    /// The escape sequence at `index` (a backslash) in a double-quoted scalar; returns where
    /// the text continues.
    fn escape(&mut self, index: usize, lines: Lines, text: &mut String) -> Read<usize> {
        let Some(&kind) = self.bytes.get(index + 1) else {
            return Err(NotHandled);
        };
        let simple = match kind {
            b'\n' => return self.fold_quoted_lines(index + 1, lines, text, true),
            b'0' => '\0',
            b'a' => '\u{7}',
            b'b' => '\u{8}',
            b't' => '\t',
            b'n' => '\n',
            b'v' => '\u{b}',
            b'f' => '\u{c}',
            b'r' => '\r',
            b'e' => '\u{1b}',
            b' ' => ' ',
            b'"' => '"',
            b'/' => '/',
            b'\\' => '\\',
            b'N' => '\u{85}',
            b'_' => '\u{a0}',
            b'L' => '\u{2028}',
            b'P' => '\u{2029}',
            b'x' | b'u' | b'U' => {
                let digits = match kind {
                    b'x' => 2,
                    b'u' => 4,
                    _ => 8,
                };
                let hex = self.bytes.get(index + 2..index + 2 + digits).ok_or(NotHandled)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return Err(NotHandled);
                }
                let hex = std::str::from_utf8(hex).map_err(|_| NotHandled)?;
                let code = u32::from_str_radix(hex, 16).map_err(|_| NotHandled)?;
                // Surrogates and values past U+10FFFF are libyaml errors.
                text.push(char::from_u32(code).ok_or(NotHandled)?);
                return Ok(index + 2 + digits);
            }
            _ => return Err(NotHandled),
        };
        text.push(simple);
        Ok(index + 2)
    }

    /// A literal (`|`) or folded (`>`) block scalar whose indicator is at `pos`, in a block
    /// collection in column `parent`. Follows libyaml's scan_block_scalar step by step.
    fn block_scalar(&mut self, parent: usize) -> Read<String> {
        let bytes = self.bytes;
        let literal = bytes[self.pos] == b'|';
        self.pos += 1;
        let mut increment = 0;
        let mut chomping = Chomping::Clip;
        for _ in 0..2 {
            match self.peek() {
                Some(b'+') if chomping == Chomping::Clip => chomping = Chomping::Keep,
                Some(b'-') if chomping == Chomping::Clip => chomping = Chomping::Strip,
                Some(digit @ b'1'..=b'9') if increment == 0 => increment = usize::from(digit - b'0'),
                _ => break,
            }
            self.pos += 1;
        }
        self.skip_spaces();
        match self.peek() {
            None => {}
            Some(b'\n') => {
                self.pos += 1;
                self.line_start = self.pos;
            }
            Some(b'#') if bytes[self.pos - 1] == b' ' => {
                self.pos = self.line_end_from(self.pos);
                if self.pos < bytes.len() {
                    self.pos += 1;
                    self.line_start = self.pos;
                }
            }
            Some(_) => return Err(NotHandled),
        }

        let mut indent = match (increment, parent) {
            (0, _) => 0,
            (_, TOP) => increment,
            _ => parent + increment,
        };
        let mut text = String::new();
        let mut leading_break = false;
        let mut leading_blank = false;
        let mut trailing_breaks = self.block_scalar_breaks(&mut indent, parent);
        while self.column() == indent && self.pos < bytes.len() {
            let trailing_blank = self.peek() == Some(b' ');
            if !literal && leading_break && !leading_blank && !trailing_blank {
                // Folding: a single break between two unindented lines is a space.
                if trailing_breaks == 0 {
                    text.push(' ');
                }
            } else if leading_break {
                text.push('\n');
            }
            text.extend(std::iter::repeat_n('\n', trailing_breaks));
            leading_blank = trailing_blank;
            let line_end = self.line_end_from(self.pos);
            text.push_str(&self.text[self.pos..line_end]);
            self.pos = line_end;
            leading_break = self.pos < bytes.len();
            if leading_break {
                self.pos += 1;
                self.line_start = self.pos;
            }
            trailing_breaks = self.block_scalar_breaks(&mut indent, parent);
        }
        if chomping != Chomping::Strip && leading_break {
            text.push('\n');
        }
        if chomping == Chomping::Keep {
            text.extend(std::iter::repeat_n('\n', trailing_breaks));
        }
        // The line that ended the scalar is read again from its start.
        if self.pos < bytes.len() {
            self.pos = self.line_start;
        }
        self.advance_to_content()?;
        Ok(text)
    }

    /// Skips empty lines and indentation (up to `indent`, all of it while the indentation is
    /// not known yet) and counts the line breaks; settles the indentation at the first
    /// non-empty line as libyaml does.
    fn block_scalar_breaks(&mut self, indent: &mut usize, parent: usize) -> usize {
        let mut breaks = 0;
        let mut max_indent = 0;
        loop {
            while (*indent == 0 || self.column() < *indent) && self.peek() == Some(b' ') {
                self.pos += 1;
            }
            max_indent = max_indent.max(self.column());
            if self.peek() != Some(b'\n') {
                break;
            }
            self.pos += 1;
            self.line_start = self.pos;
            breaks += 1;
        }
        if *indent == 0 {
            let least = if parent == TOP { 1 } else { parent + 1 };
            *indent = max_indent.max(least);
        }
        breaks
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

/// Whether a quoted scalar may span lines: not as a key, nor in a flow collection (where the
/// reader only takes one-line collections).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lines {
    One,
    Many,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chomping {
    Clip,
    Strip,
    Keep,
}

/// Appends what libyaml makes of `breaks` line breaks between two lines of a flow or plain
/// scalar: one is a space, more are one newline fewer.
fn push_line_folding(text: &mut String, breaks: usize) {
    if breaks == 1 {
        text.push(' ');
    } else {
        text.extend(std::iter::repeat_n('\n', breaks - 1));
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

/// What serde_yaml 0.9 makes of an untagged plain scalar when deserializing a
/// `serde_json::Value` (its `visit_untagged_scalar`): null, a boolean, an integer, a float
/// (NaN and infinities become null in JSON), or the text itself.
pub fn resolve_plain(text: &str) -> Read<Value> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        _ => {}
    }
    // Integers and finite floats start with a digit, a sign or a dot (Rust's float parser
    // also takes `inf` and `nan`, which serde_yaml then rejects as not finite).
    let first = text.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return Ok(Value::String(text.to_owned()));
    }
    // serde_yaml tries u64, i64, u128 and i128 in turn; serde_json refuses the last two
    // beyond 64 bits (an error, which serde_yaml words).
    if let Some(int) = unsigned_integer(text) {
        return u64::try_from(int).map(Value::from).map_err(|_| NotHandled);
    }
    if let Some(int) = negative_integer(text) {
        return i64::try_from(int).map(Value::from).map_err(|_| NotHandled);
    }
    if !is_zero_padded_digits(text)
        && let Some(float) = finite_float(text)
    {
        return Ok(Number::from_f64(float).map_or(Value::Null, Value::Number));
    }
    Ok(Value::String(text.to_owned()))
}

/// serde_yaml's unsigned integer forms: an optional `+`, then `0x`/`0o`/`0b` digits or
/// decimal digits without a leading zero.
fn unsigned_integer(text: &str) -> Option<u128> {
    let unsigned = text.strip_prefix('+').unwrap_or(text);
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = unsigned.strip_prefix(prefix) {
            if digits.starts_with(['+', '-']) {
                return None;
            }
            if let Ok(int) = u128::from_str_radix(digits, radix) {
                return Some(int);
            }
        }
    }
    if unsigned.starts_with(['+', '-']) || is_zero_padded_digits(text) {
        return None;
    }
    unsigned.parse::<u128>().ok()
}

/// serde_yaml's signed integer forms: `-0x`/`-0o`/`-0b` digits, or what Rust's signed parser
/// takes in decimal (a sign, then digits without a leading zero).
fn negative_integer(text: &str) -> Option<i128> {
    for (prefix, radix) in [("-0x", 16), ("-0o", 8), ("-0b", 2)] {
        if let Some(digits) = text.strip_prefix(prefix)
            && let Ok(int) = i128::from_str_radix(&format!("-{digits}"), radix)
        {
            return Some(int);
        }
    }
    if is_zero_padded_digits(text) {
        return None;
    }
    text.parse::<i128>().ok()
}

/// serde_yaml's float forms: `.inf`, `.nan` spellings, or what Rust's parser takes after at
/// most one `+`, if finite.
fn finite_float(text: &str) -> Option<f64> {
    let unsigned = match text.strip_prefix('+') {
        Some(rest) if rest.starts_with(['+', '-']) => return None,
        Some(rest) => rest,
        None => text,
    };
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return Some(f64::INFINITY);
    }
    if matches!(text, "-.inf" | "-.Inf" | "-.INF") {
        return Some(f64::NEG_INFINITY);
    }
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Some(f64::NAN);
    }
    unsigned.parse::<f64>().ok().filter(|float| float.is_finite())
}

/// `0` followed by digits, after an optional sign: a string in YAML 1.2, not an octal number.
fn is_zero_padded_digits(text: &str) -> bool {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    digits.len() > 1 && digits.starts_with('0') && digits[1..].bytes().all(|b| b.is_ascii_digit())
}
