//! What both watches print after their first table: rows padded to line up with it, and
//! objects one by one (`-o json|yaml -w`, YAML documents separated by `---` as kubectl does).

use anyhow::Result;
use serde_json::Value;

use crate::output::{DataFormat, PlainTable, Printer};

/// Prints tables row by row, each column as wide as the widest cell printed so far.
pub struct RowPrinter<'a> {
    pub printer: &'a Printer,
    pub format: Option<DataFormat>,
    /// Column widths of what was printed so far (None before the first row).
    widths: Option<Vec<usize>>,
    objects_printed: usize,
}

impl<'a> RowPrinter<'a> {
    pub fn new(printer: &'a Printer, format: Option<DataFormat>) -> Self {
        RowPrinter {
            printer,
            format,
            widths: None,
            objects_printed: 0,
        }
    }

    /// Whether nothing was printed as a table yet (the next rows need the header).
    pub fn first(&self) -> bool {
        self.widths.is_none()
    }

    /// Prints a table's rows padded to the widest cell seen so far in each column, so rows
    /// printed later line up with the first table.
    pub fn rows(&mut self, table: &PlainTable) {
        let mut lines: Vec<&Vec<String>> = table.rows.iter().collect();
        let headers = table.show_headers.then_some(&table.headers);
        if let Some(h) = headers {
            lines.insert(0, h);
        }
        let widths = self.widths.get_or_insert_with(|| vec![0; table.headers.len()]);
        for line in &lines {
            for (width, cell) in widths.iter_mut().zip(line.iter()) {
                *width = (*width).max(cell.chars().count());
            }
        }
        self.printer.data(&aligned(&lines, widths));
    }

    /// One object, without managedFields.
    pub fn object(&mut self, object: Option<&Value>) -> Result<()> {
        let (Some(format), Some(object)) = (self.format, object) else {
            return Ok(());
        };
        let mut object = object.clone();
        crate::output::trim_object(&mut object);
        if format == DataFormat::Yaml && self.objects_printed > 0 {
            self.printer.data("---\n");
        }
        self.objects_printed += 1;
        self.printer.value(&object, format)
    }
}

/// Rows with each cell padded to its column's width plus two spaces, as kubectl prints tables.
fn aligned(lines: &[&Vec<String>], widths: &[usize]) -> String {
    let mut out = String::new();
    for line in lines {
        let mut text = String::new();
        for (cell, width) in line.iter().zip(widths) {
            text.push_str(&format!("{cell:<width$}  "));
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_padded_to_the_widest_cell_of_each_column() {
        let header = vec!["VERSION".to_string(), "AGE".to_string()];
        let row = vec!["v10".to_string(), "2s".to_string()];
        assert_eq!(aligned(&[&header, &row], &[7, 3]), "VERSION  AGE\nv10      2s\n");
    }
}
