//! Files of 4 GiB and more are written as multi-extent files (several directory records, all
//! but the last flagged), which bsdtar, xorriso and our reader see as one file with the right
//! size and bytes. The source and the image are sparse files so the test stays cheap on disk.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};

use crate::util::*;
use aero_recipe::media::iso::{write_iso, IsoOptions, IsoReader};
use aero_recipe::media::Media;

/// Largest extent the writer uses (the largest block multiple below 4 GiB).
const MAX_EXTENT: u64 = 0xFFFF_F800;

/// Writes zero chunks as holes.
struct SparseWriter {
    file: File,
    pos: u64,
    zeros: Vec<u8>,
}

impl Write for SparseWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.zeros.len() < buf.len() {
            self.zeros.resize(buf.len(), 0);
        }
        if buf == &self.zeros[..buf.len()] {
            self.file.seek(SeekFrom::Current(buf.len() as i64))?;
        } else {
            self.file.write_all(buf)?;
        }
        self.pos += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.set_len(self.pos)
    }
}

fn put(f: &mut File, at: u64, bytes: &[u8]) {
    f.seek(SeekFrom::Start(at)).unwrap();
    f.write_all(bytes).unwrap();
}

fn get(f: &mut File, at: u64, n: usize) -> Vec<u8> {
    let mut b = vec![0; n];
    f.seek(SeekFrom::Start(at)).unwrap();
    f.read_exact(&mut b).unwrap();
    b
}

#[test]
fn files_over_4_gib_span_several_extents() {
    let tmp = tempdir();
    let big = tmp.path().join("big.bin");
    let size = (4u64 << 30) + 4096 + 10;
    {
        let mut f = File::create(&big).unwrap();
        f.set_len(size).unwrap();
        put(&mut f, 0, b"START");
        put(&mut f, MAX_EXTENT - 2, b"ABCD"); // straddles the first extent's end
        put(&mut f, size - 4, b"END!");
    }
    let mut media = Media::new();
    media.add_file("payload/Big.bin", &big).unwrap();
    media.add_bytes("after.txt", b"after".to_vec()).unwrap();

    let iso = tmp.path().join("big.iso");
    let mut out = SparseWriter {
        file: File::create(&iso).unwrap(),
        pos: 0,
        zeros: Vec::new(),
    };
    let opts = IsoOptions {
        volume_id: "BIG".into(),
        source_date_epoch: 0,
    };
    write_iso(&media, &mut out, &opts).unwrap();
    out.flush().unwrap();

    let reader = IsoReader::open(&iso).unwrap();
    let e = reader.find("payload/big.bin").unwrap();
    assert_eq!(e.path, "payload/Big.bin");
    assert_eq!(e.size, size);
    assert_eq!(e.extents.len(), 2);
    assert_eq!(e.extents[0].len, MAX_EXTENT);
    assert_eq!(e.extents[1].offset, e.extents[0].offset + MAX_EXTENT);
    let mut img = File::open(&iso).unwrap();
    let start = e.extents[0].offset;
    assert_eq!(get(&mut img, start, 5), b"START");
    assert_eq!(get(&mut img, start + MAX_EXTENT - 2, 4), b"ABCD");
    assert_eq!(get(&mut img, start + size - 4, 4), b"END!");
    let after = reader.find("after.txt").unwrap();
    let mut text = String::new();
    reader
        .source(after)
        .open()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, "after");

    // Independent readers join the extents into one file of the full size.
    let listing = String::from_utf8(ok(tool("bsdtar").arg("-tvf").arg(&iso))).unwrap();
    let line = listing
        .lines()
        .find(|l| l.ends_with("payload/Big.bin"))
        .unwrap_or_else(|| panic!("bsdtar -tv:\n{listing}"));
    assert!(line.contains(&size.to_string()), "bsdtar: {line}");
    let found = String::from_utf8(ok(tool("xorriso")
        .arg("-indev")
        .arg(&iso)
        .args(["-find", "/payload", "-type", "f", "-exec", "lsdl"])))
    .unwrap();
    assert!(
        found.contains(&size.to_string()) && found.contains("Big.bin"),
        "xorriso: {found}"
    );
}
