//! Scalars: plain scalars (their lines, continuations and resolution to null, booleans and
//! numbers as serde_yaml resolves them), quoted scalars with their escapes, and block scalars.

use serde_json::{Number, Value};

use super::{NotHandled, PlainEnd, Read, Reader, TOP, has_value_colon};

impl Reader<'_> {
    /// Scans a plain scalar's text on one line in block context (libyaml's rules: it ends at
    /// `: `, at ` #` and at the line end). Returns the end of its text, trailing spaces excluded.
    pub(super) fn scan_plain_line(&self, from: usize) -> (usize, PlainEnd) {
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
    pub(super) fn plain_scalar(
        &mut self,
        start: usize,
        end: usize,
        stop: PlainEnd,
        parent: usize,
    ) -> Read<Value> {
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
    pub(super) fn quoted(&mut self, lines: Lines) -> Read<(String, bool)> {
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
    pub(super) fn block_scalar(&mut self, parent: usize) -> Read<String> {
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
}

/// Whether a quoted scalar may span lines: not as a key, nor in a flow collection (where the
/// reader only takes one-line collections).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lines {
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
