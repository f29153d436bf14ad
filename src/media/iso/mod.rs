//! ISO 9660 + Joliet + Rock Ridge writer and reader.
