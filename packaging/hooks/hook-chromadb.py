# Chroma picks its API, segment and telemetry classes by dotted name from its settings, and reads its SQL
# migrations from files in the package; the Rust bindings are a compiled extension module of their own.
from PyInstaller.utils.hooks import collect_data_files, collect_submodules, copy_metadata

hiddenimports = collect_submodules("chromadb", filter=lambda name: ".test" not in name and "cli" not in name)
hiddenimports += ["chromadb_rust_bindings"]
datas = collect_data_files("chromadb", excludes=["**/test/**", "**/tests/**"]) + copy_metadata("chromadb")
