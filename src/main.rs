fn main() {
    std::process::exit(mcpgen::cli::main());
}
