// Link the unwinder (libgcc_eh.a) statically so the addon does not need libgcc_s.so.1 at run time: the
// Bun runtime does not load that library, and loading it with the addon costs a plugin ~0.25 ms per start.
// Falls back to the default (dynamic libgcc_s) when gcc cannot tell where libgcc_eh.a is.
use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let Ok(out) = Command::new("gcc").arg("-print-file-name=libgcc_eh.a").output() else { return };
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let archive = Path::new(&path);
    if let (true, Some(dir)) = (archive.is_absolute() && archive.exists(), archive.parent()) {
        println!("cargo:rustc-link-search=native={}", dir.display());
        println!("cargo:rustc-link-lib=static=gcc_eh");
    }
}
