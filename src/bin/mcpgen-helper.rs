//! The in-container helper (see `mcpgen::helper`); built static and shipped in mcpgen's image.

fn main() -> std::process::ExitCode {
    mcpgen::helper::main(std::env::args_os())
}
