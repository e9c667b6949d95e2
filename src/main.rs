// mimalloc without transparent huge pages: with saphyr-parser's owned scalars, allocation is a
// fifth of a validation run under the system allocator; mimalloc cuts the run by ~15% for
// ~2 MiB more peak memory (THP would add ~30 MiB, hence `no_thp`). See docs/design.md §7.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    kplan::cli::main().into()
}
