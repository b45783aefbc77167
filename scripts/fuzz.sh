#!/usr/bin/env bash
# Runs the libFuzzer targets (tests/fuzz) one after another, each for a fixed time, and prints
# a line per target: executions, coverage (libFuzzer's "cov:", edges), crashes.
#
#   scripts/fuzz.sh [--build DIR] [--seconds N] [--smoke] [target …]
#
#   --build DIR   the sanitizer build tree holding fuzz_<target> (default build-test)
#   --seconds N   time per target (default 60)
#   --smoke       a quick check for `make test`: a fixed random seed, new inputs go to a
#                 temporary directory instead of DIR/fuzz/corpus/<target>, and the log is shown
#                 only on failure
#
# Inputs are read from tests/fuzz/corpus/<target> (the committed seeds, never written) and the
# working corpus DIR/fuzz/corpus/<target> (kept between runs). A crash, a violated property, a
# leak or an input slower than FUZZ_TIMEOUT seconds (default 10) is saved as
# DIR/fuzz/artifacts/<target>/crash-… (or leak-…, timeout-…); the script fails at the end when
# any target failed. Reproduce one with: DIR/fuzz_<target> DIR/fuzz/artifacts/<target>/crash-…
# FUZZ_MAX_LEN caps the input size (libFuzzer's default: the largest seed, at least 4096);
# FUZZ_FLAGS adds libFuzzer flags. Each target runs in one process (no -jobs/-fork).
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-test
seconds=60
smoke=false
targets=()
while (($#)); do
  case $1 in
    --build) build=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --smoke) smoke=true; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if ((${#targets[@]} == 0)); then
  for source in tests/fuzz/*.cpp; do
    name=$(basename "$source" .cpp)
    [[ $name == fuzz_support ]] || targets+=("$name")
  done
fi

# Each target's dictionary is the union of the token lists it reads.
dictionaries_for() {
  case $1 in
    anthropic_request) echo json anthropic ;;
    openai_stream) echo json openai sse ;;
    openai_response | chat_request) echo json openai ;;
    cli_stream) echo json cli ;;
    mcp_jsonrpc) echo json mcp ;;
    sse_reader) echo sse ;;
    dotenv_config) echo dotenv ;;
    http_server) echo http ;;
    *) echo json ;;
  esac
}

# Symbolized reports: the sanitizers do not always find Debian's llvm-symbolizer link by themselves.
if [[ -z ${ASAN_SYMBOLIZER_PATH:-} ]] && command -v llvm-symbolizer >/dev/null; then
  export ASAN_SYMBOLIZER_PATH=$(readlink -f "$(command -v llvm-symbolizer)")
fi

# A long run's memory stays flat: ASan's allocator otherwise keeps every size class it ever used
# and a 256 MiB quarantine, and a 10-minute run of a fast target passes libFuzzer's 2 GiB limit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=32:allocator_release_to_os_interval_ms=500}

# Flags a target needs beyond the common ones.
extra_flags_for() {
  case $1 in
    # The server frees a connection's memory on its own thread, after the input has returned:
    # libFuzzer would take every such input for a possible leak and rescan the heap (four times
    # slower). Leaks are still reported when the process exits.
    http_server) echo -detect_leaks=0 ;;
  esac
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
printf '%-18s %10s %8s %8s %8s  %s\n' target seconds execs exec/s cov result
for target in "${targets[@]}"; do
  binary=$build/fuzz_$target
  if [[ ! -x $binary ]]; then
    echo "fuzz: $binary is missing: build the sanitizer tree first (make test-build; the fuzz" \
      "targets need Clang, and CCGATE_FUZZ=ON, the default with CCGATE_SANITIZE=ON)" >&2
    exit 2
  fi
  dict=$work/$target.dict
  : >"$dict"
  for part in $(dictionaries_for "$target"); do cat "tests/fuzz/dict/$part.dict" >>"$dict"; done
  if $smoke; then
    # A fixed seed: `make test` replays the same mutations each time (it checks that nothing
    # regressed; `make fuzz` is where new inputs are searched for).
    corpus=$work/corpus-$target
    seed=-seed=1
  else
    corpus=$build/fuzz/corpus/$target
    seed=
  fi
  artifacts=$build/fuzz/artifacts/$target
  mkdir -p "$corpus" "$artifacts" "tests/fuzz/corpus/$target"
  log=$build/fuzz/$target.log
  started=$SECONDS
  status=0
  "$binary" "$corpus" "tests/fuzz/corpus/$target" \
    -dict="$dict" -max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-10}" $(extra_flags_for "$target") \
    ${FUZZ_MAX_LEN:+-max_len=$FUZZ_MAX_LEN} $seed ${FUZZ_FLAGS:-} -print_final_stats=1 \
    -artifact_prefix="$artifacts/" >"$log" 2>&1 || status=$?
  elapsed=$((SECONDS - started))
  execs=$(grep -oP 'stat::number_of_executed_units:\s*\K[0-9]+' "$log" | tail -1 || true)
  rate=$(grep -oP 'stat::average_exec_per_sec:\s*\K[0-9]+' "$log" | tail -1 || true)
  cov=$(grep -oP '^#[0-9]+\s+\S+\s+cov: \K[0-9]+' "$log" | tail -1 || true)
  if ((status == 0)); then
    result=ok
  else
    result="FAILED (exit $status; log $log)"
    failed+=("$target")
    $smoke && tail -n 60 "$log" >&2
  fi
  printf '%-18s %10s %8s %8s %8s  %s\n' "$target" "$elapsed" "${execs:-?}" "${rate:-?}" \
    "${cov:-?}" "$result"
done

if ((${#failed[@]})); then
  echo "fuzz: ${failed[*]} failed; the inputs are in $build/fuzz/artifacts/<target>/" >&2
  exit 1
fi
