// Rendering a large stack is allocation-bound; mimalloc cuts build time noticeably.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(mcpgen::cli::main());
}
