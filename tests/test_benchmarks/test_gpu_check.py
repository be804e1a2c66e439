"""benchmarks/gpu_check.py (make gpu-check): its report, written from a
real CPU run of the CPU-capable sections, and its outcome without a GPU."""
import json
import os
import subprocess
import sys

import pytest
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, 'benchmarks', 'gpu_check.py')


def run_check(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(torch.cuda.is_available(), reason='a GPU is here')
def test_without_a_gpu_nothing_is_measured(tmp_path):
    """The script's main() in this interpreter (its real process:
    cpu_report)."""
    import contextlib
    import io
    import runpy
    work = tmp_path / 'report'
    stderr = io.StringIO()
    main = runpy.run_path(SCRIPT, run_name='gpu_check_under_test')['main']
    with contextlib.redirect_stderr(stderr):
        status = main(['--work-dir', str(work)])
    assert status == 2, stderr.getvalue()[-2000:]
    lines = stderr.getvalue().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith('error: no GPU'), lines
    assert not work.exists()  # no report, not even an empty one


@pytest.fixture(scope='module')
def cpu_report(tmp_path_factory):
    work = tmp_path_factory.mktemp('gpu_check')
    done = run_check('--device', 'cpu', '--quick', '--work-dir', str(work),
                     '--sections', 'accuracy', 'training', 'step_share')
    assert done.returncode == 0, done.stderr[-3000:]
    with open(work / 'gpu_check.json') as f:
        report = json.load(f)
    return report, (work / 'gpu_check.md').read_text()


def test_accuracy_rows_against_float64(cpu_report):
    report, _ = cpu_report
    rows = report['accuracy']['rows']
    assert {(r['method'], r['precision']) for r in rows} == {
        (m, p) for m in ('isqrt_cov', 'newton_schulz', 'eig', 'pade', 'none')
        for p in ('float32', 'float16', 'bfloat16')}
    assert all(r['finite'] for r in rows)
    # the ops compute in float32 whatever autocast asks (docs/op.md)
    assert {r['output_dtype'] for r in rows} == {'float32'}
    for r in rows:
        if r['precision'] == 'float32':
            # eig: its eigenvalue floor, 3e-4 to 9e-4 (docs/normalisations.md)
            bound = 2e-3 if r['method'] == 'eig' else 1e-4
            assert r['forward_error'] < bound, r
        else:  # the input itself was rounded to 8 or 11 bits
            assert 1e-5 < r['forward_error'] < 0.1, r


def test_training_steps_with_amp(cpu_report):
    report, _ = cpu_report
    (row, ) = report['training']
    assert row['model'] == 'GCP ResNet-50' and row['steps'] == 2
    assert row['finite'] and len(row['losses']) == 2
    assert row['loss_scale'] is None  # bfloat16 on the CPU: no scaler


def test_op_share_of_a_resnet50_step(cpu_report):
    share = cpu_report[0]['step_share']
    assert 0 < share['op_seconds'] < share['step_seconds']
    assert share['op_share'] == pytest.approx(
        share['op_seconds'] / share['step_seconds'])


def test_markdown_names_the_machine_and_every_row(cpu_report):
    report, text = cpu_report
    assert text.startswith('# gcp-mm GPU check: CPU (')
    assert 'no GPU measured' in text.splitlines()[0]
    table = [line for line in text.splitlines()
             if line.startswith('| ') and 'e-' in line]
    assert len(table) == len(report['accuracy']['rows'])
    assert '| GCP ResNet-50 | 2 |' in text


def test_junit_counts_of_a_real_pytest_run(tmp_path):
    sys.path.insert(0, ROOT)
    from benchmarks.gpu_check import junit_counts
    (tmp_path / 'test_three.py').write_text(
        'import pytest\n'
        'def test_ok():\n    pass\n'
        'def test_bad():\n    assert False\n'
        "@pytest.mark.skip(reason='no')\ndef test_skipped():\n    pass\n")
    xml = tmp_path / 'out.xml'
    subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p',
                    'no:cacheprovider', f'--junitxml={xml}',
                    str(tmp_path / 'test_three.py')], cwd=tmp_path,
                   capture_output=True, timeout=120)
    counts = junit_counts(str(xml))
    assert [name.split('::')[1] for name in counts['passed']] == ['test_ok']
    assert [name.split('::')[1] for name in counts['failed']] == ['test_bad']
    assert [name.split('::')[1] for name in counts['skipped']] == [
        'test_skipped']
