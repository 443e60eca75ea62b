"""A wrong answer run through `check` in a real Jupyter kernel (the course's `python3`, started by jupyter_client as
JupyterLab starts it): the error output the notebook shows is the check's message alone, with no traceback through
exp.core; a right answer prints its one line."""
import re

import pytest

from browser_tools import ROOT


@pytest.fixture(scope='module')
def kernel():
    from jupyter_client.manager import start_new_kernel
    manager, client = start_new_kernel(kernel_name='python3', cwd=str(ROOT))
    try: yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def run(client, code):
    "Run `code`; return (stream text, error outputs as (ename, traceback lines)) as the notebook would receive them."
    msg_id = client.execute(code)
    streams, errors = [], []
    while True:
        msg = client.get_iopub_msg(timeout=120)
        if msg['parent_header'].get('msg_id') != msg_id: continue
        kind, content = msg['msg_type'], msg['content']
        if kind == 'stream': streams.append(content['text'])
        elif kind == 'error': errors.append((content['ename'], content['traceback']))
        elif kind == 'status' and content['execution_state'] == 'idle': break
    return ''.join(streams), errors


ANSI = re.compile(r'\x1b\[[0-9;]*m')


@pytest.mark.parametrize('code, message', [
    ("check(torch.zeros(3, 2), torch.zeros(2, 3), 'w')", ['w has shape (3, 2), expected (2, 3) (transposed?)']),
    ("check((4, 3), torch.Size([3, 4]), 'predicted shape', hint='rows first')",
     ['predicted shape is not right (you gave (4, 3)): rows first', 'To see the expected value, run the check with reveal=True.']),
    ("answer = None\ncheck(answer, 1.0, 'answer')", ["answer: no answer yet (it is None): write your answer in the exercise cell and run it"]),
])
def test_a_failed_check_shows_only_its_message(kernel, code, message):
    run(kernel, 'import torch\nfrom exp.core import check')
    out, errors = run(kernel, code)
    assert len(errors) == 1, errors
    ename, traceback = errors[0]
    lines = [ANSI.sub('', l) for l in traceback]
    assert ename == 'CheckFailed' and lines == message, lines
    text = '\n'.join(lines)
    assert 'Traceback' not in text and 'core.py' not in text and 'File ' not in text


def test_a_right_answer_prints_one_line(kernel):
    run(kernel, 'import torch\nfrom exp.core import check')
    out, errors = run(kernel, "check(torch.ones(2), torch.ones(2), 'v')")
    assert not errors and out == 'v: exact\n'


def test_other_errors_keep_their_traceback(kernel):
    "Only a check's failure renders alone: a bug in the learner's own code still shows where it happened."
    out, errors = run(kernel, "def f(): return 1 / 0\nf()")
    assert len(errors) == 1 and errors[0][0] == 'ZeroDivisionError'
    assert any('f()' in ANSI.sub('', l) for l in errors[0][1])
