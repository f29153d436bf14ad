// Rebuild when bundled data changes: these trees are embedded in the binary (recipe::assets).
fn main() {
    for dir in ["recipes", "specs", "contracts", "guest-tools", "examples"] {
        println!("cargo:rerun-if-changed={dir}");
    }
}
