"""benchmarks/normalisation_study.py runs as a user runs it, at a tiny size,
and prints its table: every method, the seed count, the fast-schedule
comparison. Its numbers are reported, never asserted."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, 'benchmarks', 'normalisation_study.py')
TINY = ['--size', '32', '--base-channels', '8', '--reduced-channels', '8',
        '--train-per-class', '2', '--val-per-class', '1', '--epochs', '2',
        '--seeds', '2', '--lr-factors', '1', '4', '--threads', '1']
ROWS = ('GAP', 'GCP newton_schulz', 'GCP eig', 'GCP pade (MPA-Lya)',
        'GCP none', 'DropCov')


def test_tiny_study_prints_every_method_and_the_seeds(tmp_path):
    done = subprocess.run(
        [sys.executable, SCRIPT, '--work-dir', str(tmp_path), *TINY],
        capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    out = done.stdout
    # 32 px: the GCP network's last map is 2x2, so rank <= 3 of d = 8
    assert 'last map 4 positions, d = 8' in out
    assert 'rank ratio min(positions - 1, d) / d = 3/8 = 0.38' in out
    table = {line.split('|')[1].strip(): line.split('|')[2:-1]
             for line in out.splitlines() if line.startswith('| ')}
    for row in ROWS:
        cells = [c.strip() for c in table[row]]
        # two rates on seed 0, the best one, then 2 seeds
        assert len(cells[0].split(' / ')) == 2, cells
        assert cells[1] in ('0.006508', '0.02603'), cells  # batch 16
        assert cells[4] == '2', cells
    fast = [c.strip() for c in table['GCP newton_schulz, LRfast']]
    assert fast[0] == '1'  # round(2 * 30 / 50) epochs
    assert len(fast[2].split()) == 2 and fast[5] == '2'
    assert [c.strip() for c in table['GAP, LRadju']][0] == '2'
    assert 'study wall time' in out

    with open(tmp_path / 'study.json') as f:
        study = json.load(f)
    assert set(study['results']) == {
        'gap', 'newton_schulz', 'eig', 'pade', 'none', 'dropcov'}
    # 6 methods x 2 rates, 1 more seed at each best rate, 2 LRfast runs
    assert len(study['runs']) == 6 * 2 + 6 + 2
    for run in study['runs'].values():
        epochs = 2 if run['schedule'] == 'lradju' else 1
        assert len(run['curve']) == len(run['epoch_wall']) == \
            len(run['epoch_cpu']) == epochs, run
    dropcov = [r for r in study['runs'].values() if r['method'] == 'dropcov']
    assert all(0 <= p <= 1 for r in dropcov for p in r['drop_rate'])

    # run again: the finished runs are read back, not retrained
    again = subprocess.run(
        [sys.executable, SCRIPT, '--work-dir', str(tmp_path), *TINY],
        capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert 'RUN ' not in again.stdout
    assert again.stdout.split('| method')[1].split('study wall')[0] == \
        out.split('| method')[1].split('study wall')[0]
