//! CSV rows written spreadsheet-safe: every field through [`pmhc_core::csv_safe::neutralise`], so
//! a text such as `=HYPERLINK(…)` reaches a spreadsheet as text, not as a formula. Every CSV pmhc
//! writes goes through [`write_safe_record`] (or, where this crate is not a dependency, the same
//! few lines beside the writer).

use std::io::Write;

use pmhc_core::csv_safe::neutralise;

/// Write one record, each field neutralised (numbers and ordinary text are written unchanged,
/// without a copy).
pub fn write_safe_record<W, I, T>(w: &mut csv::Writer<W>, record: I) -> Result<(), csv::Error>
where
    W: Write,
    I: IntoIterator<Item = T>,
    T: AsRef<str>,
{
    for field in record {
        w.write_field(neutralise(field.as_ref()).as_bytes())?;
    }
    // An empty record ends the one whose fields were written above.
    w.write_record(None::<&[u8]>)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_written_as_text_and_numbers_as_they_are() {
        let mut w = csv::Writer::from_writer(Vec::new());
        write_safe_record(&mut w, ["name", "longitude", "note"]).unwrap();
        write_safe_record(&mut w, ["=HYPERLINK(\"http://x\",\"y\")", "-122.33", "@cmd"]).unwrap();
        write_safe_record(&mut w, ["", "+3", "-"]).unwrap();
        let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
        assert_eq!(text, "name,longitude,note\n\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",-122.33,'@cmd\n,+3,'-\n");
    }

    #[test]
    fn a_record_is_the_same_as_write_record_apart_from_the_prefix() {
        let rows: [&[&str]; 4] = [&["a", "b"], &[""], &["x,y", "\"q\""], &["1", "2", "3"]];
        let mut safe = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
        let mut plain = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
        for r in rows {
            write_safe_record(&mut safe, r).unwrap();
            plain.write_record(r).unwrap();
        }
        assert_eq!(safe.into_inner().unwrap(), plain.into_inner().unwrap());
    }
}
