//! Driver trees for validation tests, generated at test time: INF text shaped like the real
//! packages (FIELD-NOTES section 2 table) plus tiny placeholder .sys/.cat/.dll files.

use std::path::{Path, PathBuf};

/// What a generated INF declares.
#[derive(Clone)]
pub struct InfShape {
    /// INF base name (also used for the catalog and binary names by default).
    pub name: String,
    /// `[Manufacturer]` decorations, e.g. `["NTx86.6.1", "NTamd64.6.1"]`; `[""]` for undecorated.
    pub decorations: Vec<String>,
    /// Hardware IDs of the single device.
    pub hwids: Vec<String>,
    /// `(service, flags, binary)`, function driver first as upstream writes them.
    pub services: Vec<(String, u32, String)>,
    /// `CatalogFile` value.
    pub catalog: String,
    /// Extra `[SourceDisksFiles]` entries.
    pub extra_sources: Vec<String>,
    /// KMDF co-installer DLL named in a CoInstallers section, if any.
    pub coinstaller: Option<String>,
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

impl InfShape {
    /// A one-service driver `name` for `dev` (e.g. `1042`), decorated for x86 and amd64.
    pub fn simple(name: &str, service: &str, hwids: &[&str]) -> InfShape {
        InfShape {
            name: name.into(),
            decorations: s(&["NTx86.6.1", "NTamd64.6.1"]),
            hwids: s(hwids),
            services: vec![(service.into(), 2, format!("{name}.sys"))],
            catalog: format!("{name}.cat"),
            extra_sources: Vec::new(),
            coinstaller: None,
        }
    }

    /// Shaped like upstream viostor.inf (legacy + modern HWIDs).
    pub fn viostor() -> InfShape {
        InfShape::simple(
            "viostor",
            "viostor",
            &[
                "PCI\\VEN_1AF4&DEV_1001&SUBSYS_00021AF4&REV_00",
                "PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01",
            ],
        )
    }

    /// Shaped like upstream netkvm.inf.
    pub fn netkvm() -> InfShape {
        InfShape::simple(
            "netkvm",
            "netkvm",
            &[
                "PCI\\VEN_1AF4&DEV_1000&SUBSYS_00011AF4&REV_00",
                "PCI\\VEN_1AF4&DEV_1041&SUBSYS_11001AF4&REV_01",
            ],
        )
    }

    /// Shaped like upstream vioinput.inf: `VirtioInput` + `viohidkmdf`, KMDF co-installer.
    pub fn vioinput() -> InfShape {
        InfShape {
            services: vec![
                ("VirtioInput".into(), 2, "vioinput.sys".into()),
                ("viohidkmdf".into(), 0, "viohidkmdf.sys".into()),
            ],
            extra_sources: s(&["viohidkmdf.sys"]),
            coinstaller: Some("WdfCoInstaller01009.dll".into()),
            ..InfShape::simple(
                "vioinput",
                "VirtioInput",
                &["PCI\\VEN_1AF4&DEV_1052&SUBSYS_11001AF4&REV_01"],
            )
        }
    }

    /// A virtio-snd driver (there is none upstream; shaped like the others).
    pub fn viosnd() -> InfShape {
        InfShape::simple("viosnd", "viosnd", &["PCI\\VEN_1AF4&DEV_1059&REV_01"])
    }

    /// Keep only the decoration for one architecture (`NTamd64.6.1`, ...).
    pub fn only(mut self, decoration: &str) -> InfShape {
        self.decorations = vec![decoration.into()];
        self
    }

    /// The INF text (CRLF, as Windows tools write it).
    pub fn render(&self) -> String {
        let mut t = String::new();
        let name = &self.name;
        t += &format!("; {name}.inf: generated test driver\n[Version]\nSignature = \"$WINDOWS NT$\"\nClass = System\nClassGuid = {{4d36e97d-e325-11ce-bfc1-08002be10318}}\nProvider = %VENDOR%\nCatalogFile = {}\nDriverVer = 01/01/2024,1.0.0.0\n\n", self.catalog);
        t += "[DestinationDirs]\nDefaultDestDir = 12\n\n[SourceDisksNames]\n1 = %DiskId%,,,\"\"\n\n[SourceDisksFiles]\n";
        for (_, _, bin) in &self.services {
            t += &format!("{bin} = 1,,\n");
        }
        for e in &self.extra_sources {
            if !self.services.iter().any(|(_, _, b)| b == e) {
                t += &format!("{e} = 1,,\n");
            }
        }
        if let Some(co) = &self.coinstaller {
            t += &format!("{co} = 1,,\n");
        }
        let decos: Vec<&str> = self
            .decorations
            .iter()
            .map(String::as_str)
            .filter(|d| !d.is_empty())
            .collect();
        if decos.is_empty() {
            t += "\n[Manufacturer]\n%VENDOR% = Std\n\n[Std]\n";
            t += &format!("%Dev.Desc% = Dev_Install, {}\n", self.hwids.join(", "));
        } else {
            t += &format!("\n[Manufacturer]\n%VENDOR% = Std, {}\n", decos.join(", "));
            for d in &decos {
                t += &format!(
                    "\n[Std.{d}]\n%Dev.Desc% = Dev_Install, {}\n",
                    self.hwids.join(", ")
                );
            }
        }
        t += "\n[Dev_Install.NT]\nCopyFiles = Dev_CopyFiles\n\n[Dev_CopyFiles]\n";
        for (_, _, bin) in &self.services {
            t += &format!("{bin}\n");
        }
        t += "\n[Dev_Install.NT.Services]\n";
        for (i, (svc, flags, _)) in self.services.iter().enumerate() {
            t += &format!("AddService = {svc}, 0x{flags:08x}, Svc{i}_Inst\n");
        }
        for (i, (_, _, bin)) in self.services.iter().enumerate() {
            t += &format!("\n[Svc{i}_Inst]\nServiceType = 1\nStartType = 3\nErrorControl = 1\nServiceBinary = %12%\\{bin}\n");
        }
        if let Some(co) = &self.coinstaller {
            t += &format!("\n[Dev_Install.NT.CoInstallers]\nAddReg = Co_AddReg\nCopyFiles = Co_CopyFiles\n\n[Co_AddReg]\nHKR,,CoInstallers32,0x00010000, \"{co},WdfCoInstaller\"\n\n[Co_CopyFiles]\n{co}\n\n[DestinationDirs]\nCo_CopyFiles = 11\n");
        }
        t += "\n[Strings]\nVENDOR = \"Test Vendor\"\nDiskId = \"Test Disk\"\nDev.Desc = \"Test Device\"\n";
        t.replace('\n', "\r\n")
    }

    /// Every file the INF names (binaries, catalog, co-installer).
    pub fn files(&self) -> Vec<String> {
        let mut f: Vec<String> = self.services.iter().map(|(_, _, b)| b.clone()).collect();
        f.extend(self.extra_sources.iter().cloned());
        f.push(self.catalog.clone());
        f.extend(self.coinstaller.iter().cloned());
        f.sort();
        f.dedup();
        f
    }
}

/// Write a package: the INF plus a placeholder for every file it names, in `root/arch/dir`.
pub fn write_package(root: &Path, arch: &str, dir: &str, inf: &InfShape) -> PathBuf {
    let d = root.join(arch).join(dir);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(format!("{}.inf", inf.name)), inf.render()).unwrap();
    for f in inf.files() {
        std::fs::write(d.join(&f), format!("placeholder {f}")).unwrap();
    }
    d
}

/// An upstream-shaped virtio-win driver tree for x86 and amd64 (Win7 decorations).
pub fn virtio_win_tree(root: &Path, with_optional: bool) {
    for (arch, deco) in [("x86", "NTx86.6.1"), ("amd64", "NTamd64.6.1")] {
        write_package(root, arch, "viostor", &InfShape::viostor().only(deco));
        write_package(root, arch, "netkvm", &InfShape::netkvm().only(deco));
        if with_optional {
            write_package(root, arch, "vioinput", &InfShape::vioinput().only(deco));
            write_package(root, arch, "viosnd", &InfShape::viosnd().only(deco));
        }
    }
}
