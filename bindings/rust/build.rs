// SPDX-License-Identifier: LGPL-2.1 OR MIT
//! Builds the C shim (shim/mcrrs_shim.c) and links libmcrring.
//!
//! Where libmcrring comes from, first found first:
//! 1. `MCRRING_LIB_DIR` (and `MCRRING_INCLUDE_DIR`, default its `../include`);
//! 2. the source tree this crate sits in: headers from `lib/`, `proto/` and `uapi/`,
//!    `build/lib/libmcrring.a` when `make lib` made it, else `lib/*.c`
//!    compiled here;
//! 3. `pkg-config mcrring` (an installed libmcrring).
//!
//! No crate is needed: the C compiler is `$CC` (default `cc`), the
//! archiver `$AR` (default `ar`).

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Lib {
    include: Vec<PathBuf>,
    /// (directory, name) of a library to link, or a C file to compile.
    link: Vec<(PathBuf, String)>,
    sources: Vec<PathBuf>,
}

fn run(cmd: &mut Command) {
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("mcrring build: cannot run {:?}: {}", cmd, e));
    if !status.success() {
        panic!("mcrring build: {:?} failed: {}", cmd, status);
    }
}

fn from_env() -> Option<Lib> {
    let dir = PathBuf::from(env::var_os("MCRRING_LIB_DIR")?);
    let include = match env::var_os("MCRRING_INCLUDE_DIR") {
        Some(i) => PathBuf::from(i),
        None => dir.join("../include"),
    };
    Some(Lib {
        include: vec![include],
        link: vec![(dir, "mcrring".into())],
        sources: vec![],
    })
}

fn from_tree(manifest: &Path) -> Option<Lib> {
    let top = manifest.join("../..").canonicalize().ok()?;
    if !top.join("lib/mcrring.h").is_file() {
        return None;
    }
    let include = vec![top.join("lib"), top.join("proto"), top.join("uapi")];
    let archive = top.join("build/lib/libmcrring.a");
    // lib/ as a whole: a file added or removed there is seen too.
    for h in ["lib", "proto", "uapi/linux/mcrring.h", "build/lib/libmcrring.a"] {
        println!("cargo:rerun-if-changed={}", top.join(h).display());
    }
    if archive.is_file() {
        Some(Lib {
            include,
            link: vec![(top.join("build/lib"), "mcrring".into())],
            sources: vec![],
        })
    } else {
        Some(Lib {
            include,
            link: vec![],
            sources: lib_sources(&top.join("lib")),
        })
    }
}

/// The library's C files, in a stable order.
fn lib_sources(dir: &Path) -> Vec<PathBuf> {
    let mut c: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    c.retain(|p| p.extension().map_or(false, |x| x == "c"));
    c.sort();
    c
}

fn from_pkg_config() -> Option<Lib> {
    let out = Command::new("pkg-config")
        .args(["--cflags", "--libs", "--static", "mcrring"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let mut lib = Lib { include: vec![], link: vec![], sources: vec![] };
    let mut dirs = vec![];
    for word in String::from_utf8_lossy(&out.stdout).split_whitespace() {
        if let Some(i) = word.strip_prefix("-I") {
            lib.include.push(i.into());
        } else if let Some(l) = word.strip_prefix("-L") {
            dirs.push(PathBuf::from(l));
        } else if let Some(n) = word.strip_prefix("-l") {
            if n != "pthread" {
                lib.link.push((dirs.last().cloned().unwrap_or_default(), n.into()));
            }
        }
    }
    Some(lib)
}

fn compile(cc: &str, lib: &Lib, src: &Path, obj: &Path) {
    let mut cmd = Command::new(cc);
    cmd.args(["-std=gnu11", "-O2", "-g", "-fPIC", "-Wall", "-Wextra", "-Werror",
              "-D_GNU_SOURCE", "-c", "-o"])
        .arg(obj)
        .arg(src);
    for i in &lib.include {
        cmd.arg("-I").arg(i);
    }
    run(&mut cmd);
}

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    let cc = env::var("CC").unwrap_or_else(|_| "cc".into());
    let ar = env::var("AR").unwrap_or_else(|_| "ar".into());

    for v in ["MCRRING_LIB_DIR", "MCRRING_INCLUDE_DIR", "CC", "AR"] {
        println!("cargo:rerun-if-env-changed={}", v);
    }
    println!("cargo:rerun-if-changed=shim/mcrrs_shim.c");
    println!("cargo:rerun-if-changed=bench/write_bench.c");

    let lib = from_env()
        .or_else(|| from_tree(&manifest))
        .or_else(from_pkg_config)
        .expect("mcrring build: no libmcrring (set MCRRING_LIB_DIR, or install it with pkg-config's mcrring.pc)");

    let mut srcs = vec![manifest.join("shim/mcrrs_shim.c")];
    if env::var_os("CARGO_FEATURE_BENCH").is_some() {
        srcs.push(manifest.join("bench/write_bench.c"));
    }
    srcs.extend(lib.sources.iter().cloned());
    let mut objs = vec![];
    for (i, src) in srcs.iter().enumerate() {
        let obj = out.join(format!("shim{}.o", i));
        compile(&cc, &lib, src, &obj);
        objs.push(obj);
    }
    let archive = out.join("libmcrrs_shim.a");
    let _ = std::fs::remove_file(&archive);
    run(Command::new(&ar).arg("rcs").arg(&archive).args(&objs));

    println!("cargo:rustc-link-search=native={}", out.display());
    println!("cargo:rustc-link-lib=static=mcrrs_shim");
    for (dir, name) in &lib.link {
        if !dir.as_os_str().is_empty() {
            println!("cargo:rustc-link-search=native={}", dir.display());
        }
        println!("cargo:rustc-link-lib=static={}", name);
    }
    println!("cargo:rustc-link-lib=pthread");
}
