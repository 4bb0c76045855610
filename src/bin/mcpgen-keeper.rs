//! The session keeper (see `mcpgen::keeper`); `mcpgen install` puts it into the bundle's `bin/`.

fn main() -> std::process::ExitCode {
    mcpgen::keeper::main(std::env::args_os())
}
