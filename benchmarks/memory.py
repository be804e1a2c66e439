"""Peak resident memory of one call, for the CPU benchmarks (Linux)."""


def _proc_status_kib(field):
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise RuntimeError(f'{field} not in /proc/self/status')


def peak_rss_growth(fn) -> int:
    """Bytes by which the resident set's high-water mark (VmHWM, reset to
    the current resident set first) grows while ``fn()`` runs."""
    with open('/proc/self/clear_refs', 'w') as f:
        f.write('5')
    base = _proc_status_kib('VmRSS')
    fn()
    return (_proc_status_kib('VmHWM') - base) * 1024
