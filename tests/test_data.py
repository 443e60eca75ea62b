"Tests of exp.data: IDX files, finding and downloading the data (from a local test server), showing images."
import gzip, hashlib, http.server, os, re, signal, socket, struct, subprocess, sys, threading, time
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import exp.data as data

DEBIAN = Path('/usr/share/datasets/fashion-mnist')
TRAIN_FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte']


# ---- helpers: IDX bytes, a tiny fake dataset, a local HTTP server ----
def idx_bytes(arr, code):
    "The IDX encoding of `arr` with type `code`: header, then the values big-endian."
    arr = np.asarray(arr)
    header = b'\0\0' + bytes([code, arr.ndim]) + struct.pack(f'>{arr.ndim}I', *arr.shape)
    return header + arr.astype(np.dtype(data.IDX_DTYPES[code])).tobytes()

def gz(b): return gzip.compress(b, mtime=0)
def sha(b): return 'sha256:' + hashlib.sha256(b).hexdigest()

N_TINY, N_VALID = 12, 4
_rng = np.random.default_rng(0)
TINY_IMAGES = _rng.integers(0, 256, (N_TINY, 28, 28), dtype=np.uint8)
TINY_LABELS = _rng.integers(0, 10, N_TINY, dtype=np.uint8)
TINY_RAW = {'train-images-idx3-ubyte': idx_bytes(TINY_IMAGES, 0x08),
            'train-labels-idx1-ubyte': idx_bytes(TINY_LABELS, 0x08)}
TINY_GZ = {f'/{k}.gz': gz(v) for k, v in TINY_RAW.items()}

def free_port():
    "A local port nothing listens on, so connecting to it is refused at once."
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]

class Server:
    """A local HTTP server: `routes` maps a path to bytes, to ('drop', bytes) to close the connection early,
    or to ('trickle', bytes, delay) to send one byte every `delay` seconds."""
    def __init__(self):
        self.routes, self.hits = {}, []
        server = self
        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args): pass
            def do_GET(self):
                server.hits.append(self.path)
                route = server.routes.get(self.path)
                if route is None: return self.send_error(404)
                if isinstance(route, tuple) and route[0] == 'trickle': return self.trickle(*route[1:])
                drop = isinstance(route, tuple)
                body = route[1] if drop else route
                self.send_response(200)
                self.send_header('Content-Length', str(len(body) + 1000 if drop else len(body)))
                self.end_headers()
                self.wfile.write(body[:len(body) // 2] if drop else body)
                self.close_connection = True
            def trickle(self, body, delay):
                self.send_response(200)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                try:
                    for i in range(len(body)):
                        self.wfile.write(body[i:i + 1])
                        time.sleep(delay)
                except OSError: pass  # the client gave up
                self.close_connection = True
        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = f'http://127.0.0.1:{self.httpd.server_address[1]}/'
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv('no_proxy', '127.0.0.1,localhost')  # never send local requests through a proxy
    s = Server()
    yield s
    s.close()

@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    "Every test starts with an empty cache in tmp_path, no EXP_* settings, and the 'tiny' dataset."
    for var in ('EXP_DATA', 'EXP_OFFLINE', 'EXP_DATA_URL', 'EXP_DEBIAN_DIR'): monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv('EXP_CACHE', str(tmp_path/'cache'))
    monkeypatch.setitem(data.DATASETS, 'tiny', dict(
        title='Tiny', urls=[f'http://127.0.0.1:{free_port()}/'], debian=None, classes=list('0123456789'),
        files={k: sha(v) for k, v in TINY_RAW.items()}))

def cache(): return data.cache_dir('tiny')

def files_in(folder):
    "Every file under `folder`, hidden ones (the .part files) included."
    return sorted(p.name for p in Path(folder).rglob('*') if p.is_file()) if Path(folder).exists() else []

def check_tiny(res):
    x_train, y_train, x_valid, y_valid = res
    x = torch.from_numpy(TINY_IMAGES.reshape(N_TINY, -1)).float() / 255
    y = torch.from_numpy(TINY_LABELS).long()
    torch.testing.assert_close(x_train, x[:-N_VALID]); torch.testing.assert_close(x_valid, x[-N_VALID:])
    assert torch.equal(y_train, y[:-N_VALID]) and torch.equal(y_valid, y[-N_VALID:])
    assert y_train.dtype == torch.int64 and x_train.dtype == torch.float32


# ---- parse_idx / read_idx ----
codes = st.sampled_from(sorted(data.IDX_DTYPES))

@st.composite
def idx_arrays(draw):
    code = draw(codes)
    dtype = np.dtype(data.IDX_DTYPES[code]).newbyteorder('=')
    shape = draw(array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5))
    return code, draw(arrays(dtype, shape))

@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ca=idx_arrays(), zipped=st.booleans())
def test_read_idx_round_trip(tmp_path, ca, zipped):
    code, arr = ca
    raw = idx_bytes(arr, code)
    p = tmp_path/('f.gz' if zipped else 'f')
    p.write_bytes(gz(raw) if zipped else raw)
    for t in (data.read_idx(p), data.read_idx(str(p)), data.parse_idx(raw)):
        assert isinstance(t, torch.Tensor) and tuple(t.shape) == arr.shape
        assert t.numpy().dtype == arr.dtype
        np.testing.assert_array_equal(t.numpy(), arr)  # exact, nan compares equal to nan

def test_parse_idx_known_bytes():
    raw = b'\0\0\x0b\x02' + struct.pack('>2I', 2, 3) + struct.pack('>6h', 1, -2, 3, -4, 5, 256)
    t = data.parse_idx(raw)
    assert t.dtype == torch.int16 and torch.equal(t, torch.tensor([[1, -2, 3], [-4, 5, 256]], dtype=torch.int16))
    t.add_(1)  # the tensor owns writable memory

CORRUPT = {  # what to write, and the words the error must contain
    'bad_magic': (b'\x01\0\x08\x01' + struct.pack('>I', 1) + b'\x05', 'bad magic'),
    'unknown_code': (b'\0\0\x0a\x01' + struct.pack('>I', 1) + b'\x05', 'unknown type code 0x0a'),
    'truncated': (idx_bytes(np.arange(6, dtype=np.uint8).reshape(2, 3), 0x08)[:-1], 'found 5'),
    'extra': (idx_bytes(np.arange(6, dtype=np.int32), 0x0C) + b'\0', 'found 25'),
    'header_cut': (b'\0\0\x08\x03' + struct.pack('>2I', 2, 3), 'header cut short'),
    'too_short': (b'\0\0', 'too short'),
    'empty': (b'', 'too short'),
}

@pytest.mark.parametrize('zipped', [False, True])
@pytest.mark.parametrize('case', list(CORRUPT))
def test_read_idx_corrupt(tmp_path, case, zipped):
    raw, words = CORRUPT[case]
    p = tmp_path/f'{case}-file'
    p.write_bytes(gz(raw) if zipped else raw)
    with pytest.raises(ValueError) as e: data.read_idx(p)
    assert str(p) in str(e.value) and words in str(e.value)

@pytest.mark.parametrize('bad', [gz(TINY_RAW['train-labels-idx1-ubyte'])[:-10], b'\x1f\x8bnot gzip at all'])
def test_read_idx_corrupt_gzip(tmp_path, bad):
    p = tmp_path/'broken.gz'
    p.write_bytes(bad)
    with pytest.raises(ValueError, match='corrupt gzip') as e: data.read_idx(p)
    assert str(p) in str(e.value)

def test_parse_idx_names_source():
    with pytest.raises(ValueError, match='<bytes>: bad magic'): data.parse_idx(b'abcdefgh')
    with pytest.raises(ValueError, match='mine: unknown type code'): data.parse_idx(b'\0\0\x07\0', 'mine')


# ---- get_data on the real dataset ----
@pytest.fixture(scope='module')
def fashion():
    return data.get_data(offline=True, progress=False)

def test_get_data_fashion(fashion):
    x_train, y_train, x_valid, y_valid = fashion
    assert x_train.shape == (50000, 784) and x_valid.shape == (10000, 784)
    assert y_train.shape == (50000,) and y_valid.shape == (10000,)
    assert x_train.dtype == x_valid.dtype == torch.float32 and y_train.dtype == y_valid.dtype == torch.int64
    assert x_train.min() >= 0 and x_train.max() <= 1 and x_train.max() == 1  # 255 maps to exactly 1
    assert set(y_train.unique().tolist()) == set(range(10)) and set(y_valid.unique().tolist()) <= set(range(10))

def test_get_data_valid_is_end_of_train_file(fashion):
    f = data.find_files('fashion', TRAIN_FILES, offline=True)
    images, labels = data.read_idx(f['train-images-idx3-ubyte']), data.read_idx(f['train-labels-idx1-ubyte'])
    assert images.shape == (60000, 28, 28) and images.dtype == torch.uint8
    assert torch.equal((fashion[2] * 255).round().to(torch.uint8), images[-10000:].reshape(10000, 784))
    assert torch.equal(fashion[3], labels[-10000:].long()) and torch.equal(fashion[1], labels[:-10000].long())

@pytest.mark.skipif(not DEBIAN.is_dir(), reason='needs: sudo apt-get install dataset-fashion-mnist')
def test_find_files_uses_debian_dir():
    f = data.find_files('fashion', offline=True)  # the cache is empty (EXP_CACHE is a new directory)
    assert set(f) == set(data.DATASETS['fashion']['files'])
    assert all(p.parent == DEBIAN for p in f.values())

def test_get_data_path_is_authoritative(tmp_path):
    (tmp_path/'empty').mkdir()
    with pytest.raises(FileNotFoundError, match=str(tmp_path/'empty')): data.get_data(path=tmp_path/'empty')
    with pytest.raises(FileNotFoundError, match='nowhere'): data.get_data(path=tmp_path/'nowhere', offline=False)


# ---- finding the tiny dataset ----
def test_get_data_path_tiny(tmp_path):
    d = tmp_path/'mine'; d.mkdir()
    for k, v in TINY_RAW.items(): (d/k).write_bytes(v)  # not gzipped
    check_tiny(data.get_data('tiny', path=d, n_valid=N_VALID))

def test_exp_data_is_searched_first(monkeypatch, tmp_path):
    d = tmp_path/'mine'; d.mkdir()
    for k, v in TINY_GZ.items(): (d/k.lstrip('/')).write_bytes(v)
    cache().mkdir(parents=True)
    for k, v in TINY_GZ.items(): (cache()/k.lstrip('/')).write_bytes(v)
    monkeypatch.setenv('EXP_DATA', str(d))
    assert all(p.parent == d for p in data.find_files('tiny', offline=True).values())
    check_tiny(data.get_data('tiny', n_valid=N_VALID, offline=True))

def tiny_dir(tmp_path):
    d = tmp_path/'mine'; d.mkdir()
    for k, v in TINY_RAW.items(): (d/k).write_bytes(v)
    return d

def test_get_data_n_valid_too_big(tmp_path):
    with pytest.raises(ValueError, match='n_valid=10000 leaves no training images'): data.get_data('tiny', path=tiny_dir(tmp_path))

@pytest.mark.parametrize('n_valid', [0, 1, N_VALID, N_TINY - 1])
def test_get_data_split(tmp_path, n_valid):
    "The last n_valid images are the validation set; 0 means none (x[:-0] would be empty: the tracker's bug)."
    x_train, y_train, x_valid, y_valid = data.get_data('tiny', path=tiny_dir(tmp_path), n_valid=n_valid)
    x = torch.from_numpy(TINY_IMAGES.reshape(N_TINY, -1)).float() / 255
    y = torch.from_numpy(TINY_LABELS).long()
    assert x_train.shape == (N_TINY - n_valid, 784) and x_valid.shape == (n_valid, 784)
    assert y_train.shape == (N_TINY - n_valid,) and y_valid.shape == (n_valid,)
    assert x_valid.dtype == torch.float32 and y_valid.dtype == torch.int64
    torch.testing.assert_close(torch.cat([x_train, x_valid]), x)
    assert torch.equal(torch.cat([y_train, y_valid]), y)

@pytest.mark.parametrize('n_valid', [-1, -N_VALID, N_TINY, N_TINY + 1, 2.5, '3', None])
def test_get_data_bad_n_valid(tmp_path, n_valid):
    with pytest.raises(ValueError, match=re.escape(f'n_valid={n_valid!r}')):
        data.get_data('tiny', path=tiny_dir(tmp_path), n_valid=n_valid)

def test_get_data_negative_n_valid_before_looking_for_files():
    with pytest.raises(ValueError, match='n_valid=-1'): data.get_data('tiny', offline=True, n_valid=-1)

def test_get_data_images_and_labels_differ(tmp_path):
    d = tiny_dir(tmp_path)
    (d/'train-labels-idx1-ubyte').write_bytes(idx_bytes(TINY_LABELS[:-1], 0x08))
    with pytest.raises(ValueError, match=f'{N_TINY} images but {N_TINY - 1} labels'): data.get_data('tiny', path=d, n_valid=0)

def test_find_files_unknown_dataset():
    with pytest.raises(ValueError, match="unknown dataset 'nope'"): data.find_files('nope')


# ---- offline: the error that tells the learner what to do ----
@pytest.mark.parametrize('how', ['argument', 'env'])
def test_offline_message(monkeypatch, tmp_path, server, how):
    monkeypatch.setitem(data.DATASETS, 'fashion', {**data.DATASETS['fashion'], 'debian': str(tmp_path/'no-debian')})
    monkeypatch.setenv('EXP_DATA', str(tmp_path/'no-data'))
    monkeypatch.setenv('EXP_DATA_URL', server.url)
    if how == 'env': monkeypatch.setenv('EXP_OFFLINE', '1')
    with pytest.raises(FileNotFoundError) as e: data.get_data(offline=True if how == 'argument' else None)
    msg = str(e.value)
    for words in ('Looked in', str(tmp_path/'no-data'), str(data.cache_dir('fashion')), str(tmp_path/'no-debian'),
                  'apt-get install dataset-fashion-mnist', 'EXP_DATA', 'EXP_OFFLINE', 'switched off'):
        assert words in msg, words
    assert server.hits == []

@pytest.mark.parametrize('value,offline', [('1', True), ('true', True), ('yes', True),
                                           ('0', False), ('', False), ('false', False)])
def test_exp_offline_values(monkeypatch, server, value, offline):
    monkeypatch.setenv('EXP_OFFLINE', value)
    monkeypatch.setenv('EXP_DATA_URL', server.url)
    server.routes.update(TINY_GZ)
    if offline:
        with pytest.raises(FileNotFoundError, match='switched off'): data.find_files('tiny', progress=False)
    else: data.find_files('tiny', progress=False)

def test_offline_false_overrides_env(monkeypatch, server):
    monkeypatch.setenv('EXP_OFFLINE', '1')
    monkeypatch.setenv('EXP_DATA_URL', server.url)
    server.routes.update(TINY_GZ)
    check_tiny(data.get_data('tiny', offline=False, progress=False, n_valid=N_VALID))

def test_unreadable_folder_counts_as_empty(monkeypatch, tmp_path):
    "A folder we may not read (EXP_DATA here) is one more place without the files, not a raw PermissionError."
    secret = tmp_path/'secret'
    real_is_file = Path.is_file
    def is_file(self):
        if secret in self.parents: raise PermissionError(13, 'Permission denied', str(self))
        return real_is_file(self)
    monkeypatch.setattr(Path, 'is_file', is_file)
    monkeypatch.setenv('EXP_DATA', str(secret))
    with pytest.raises(FileNotFoundError, match='switched off') as e: data.find_files('tiny', offline=True)
    assert str(secret) in str(e.value)

def test_tiny_message_has_no_apt_hint():
    with pytest.raises(FileNotFoundError) as e: data.find_files('tiny', offline=True)
    assert 'apt-get' not in str(e.value) and 'EXP_DATA' in str(e.value)


# ---- downloads through find_files / get_data ----
def test_download_good_then_cached(monkeypatch, server):
    monkeypatch.setenv('EXP_DATA_URL', server.url)
    server.routes.update(TINY_GZ)
    check_tiny(data.get_data('tiny', progress=False, n_valid=N_VALID))
    assert sorted(server.hits) == sorted(TINY_GZ)
    assert files_in(cache()) == sorted(k.lstrip('/') for k in TINY_GZ)
    for k, v in TINY_GZ.items(): assert (cache()/k.lstrip('/')).read_bytes() == v
    n = len(server.hits)
    check_tiny(data.get_data('tiny', progress=False, n_valid=N_VALID))
    data.find_files('tiny', progress=False)
    assert len(server.hits) == n

def test_download_falls_back_to_next_mirror(monkeypatch, server):
    "The first mirror refuses the connection; the second serves the files."
    spec = data.DATASETS['tiny']
    monkeypatch.setitem(spec, 'urls', spec['urls'] + [server.url])
    server.routes.update(TINY_GZ)
    data.find_files('tiny', progress=False)
    assert files_in(cache()) == sorted(k.lstrip('/') for k in TINY_GZ)

def test_download_checksum_mismatch(monkeypatch, server):
    monkeypatch.setenv('EXP_DATA_URL', server.url)
    server.routes.update({path: gz(idx_bytes(np.zeros(3, np.uint8), 0x08)) for path in TINY_GZ})  # valid IDX, wrong bytes
    with pytest.raises(FileNotFoundError) as e: data.get_data('tiny', progress=False, n_valid=N_VALID)
    assert 'checksum' in str(e.value) and 'Downloading failed' in str(e.value)
    assert files_in(cache()) == []

def test_download_dropped_connection(monkeypatch, server):
    monkeypatch.setenv('EXP_DATA_URL', server.url)
    server.routes.update({k: ('drop', v) for k, v in TINY_GZ.items()})
    with pytest.raises(FileNotFoundError) as e: data.find_files('tiny', progress=False)
    assert 'connection closed' in str(e.value)
    assert files_in(cache()) == []

def test_download_404_lists_places(monkeypatch, tmp_path, server):
    monkeypatch.setenv('EXP_DATA_URL', server.url)
    monkeypatch.setenv('EXP_DATA', str(tmp_path/'no-data'))
    with pytest.raises(FileNotFoundError) as e: data.find_files('tiny', progress=False)
    msg = str(e.value)
    assert '404' in msg and 'Looked in' in msg and str(tmp_path/'no-data') in msg and str(cache()) in msg
    assert server.hits == ['/train-images-idx3-ubyte.gz']  # gives up after the first missing file
    assert files_in(cache()) == []

def test_download_corrupt_gzip_is_a_download_error(monkeypatch, server):
    monkeypatch.setenv('EXP_DATA_URL', server.url)
    server.routes.update({k: v[:-10] for k, v in TINY_GZ.items()})  # a truncated gzip stream, served whole
    with pytest.raises(FileNotFoundError, match='checksum'): data.find_files('tiny', progress=False)


# ---- a cache we cannot write to: the same friendly message, and no download ----
def assert_cache_message(msg, server):
    for words in ('Tiny not found', 'Looked in', 'cannot write to the course cache', 'set EXP_CACHE', 'EXP_DATA'):
        assert words in msg, words
    assert server.hits == []  # the cache is checked before any download starts

def test_cache_path_through_a_file(monkeypatch, tmp_path, server):
    (tmp_path/'a-file').write_text('not a folder')
    monkeypatch.setenv('EXP_CACHE', str(tmp_path/'a-file'/'cache'))
    monkeypatch.setenv('EXP_DATA_URL', server.url)
    server.routes.update(TINY_GZ)
    with pytest.raises(FileNotFoundError) as e: data.get_data('tiny', progress=False, n_valid=N_VALID)
    assert_cache_message(str(e.value), server)

def test_cache_permission_denied(monkeypatch, server):
    "As a read-only disk answers; simulated, since root may write anywhere."
    def deny(*args, dir=None, **kwargs): raise PermissionError(13, 'Permission denied', str(dir))
    monkeypatch.setattr(data.tempfile, 'TemporaryFile', deny)
    monkeypatch.setattr(data.tempfile, 'mkstemp', deny)
    monkeypatch.setenv('EXP_DATA_URL', server.url)
    server.routes.update(TINY_GZ)
    with pytest.raises(FileNotFoundError) as e: data.find_files('tiny', progress=False)
    assert_cache_message(str(e.value), server)
    assert 'Permission denied' in str(e.value)

@pytest.mark.skipif(os.geteuid() == 0, reason='root may write to a read-only folder')
def test_cache_read_only_folder(monkeypatch, server):
    cache().mkdir(parents=True)
    cache().chmod(0o500)
    try:
        monkeypatch.setenv('EXP_DATA_URL', server.url)
        server.routes.update(TINY_GZ)
        with pytest.raises(FileNotFoundError) as e: data.find_files('tiny', progress=False)
        assert_cache_message(str(e.value), server)
    finally: cache().chmod(0o700)

def test_download_into_unwritable_folder(tmp_path, server):
    (tmp_path/'a-file').write_text('not a folder')
    server.routes[URL_PATH] = LABELS_GZ
    with pytest.raises(data.DownloadError, match='cannot write to'):
        data.download(server.url + URL_PATH[1:], tmp_path/'a-file'/'labels.gz', LABELS_SHA, progress=False)
    assert server.hits == []


# ---- download() itself ----
URL_PATH = '/train-labels-idx1-ubyte.gz'
LABELS_GZ = TINY_GZ[URL_PATH]
LABELS_SHA = sha(TINY_RAW['train-labels-idx1-ubyte'])

def test_download_success(server, tmp_path):
    server.routes[URL_PATH] = LABELS_GZ
    dest = tmp_path/'out'/'labels.gz'  # the folder is created
    assert data.download(server.url + URL_PATH[1:], dest, LABELS_SHA, progress=False) == dest
    assert dest.read_bytes() == LABELS_GZ and files_in(dest.parent) == ['labels.gz']

def test_download_gz_md5(server, tmp_path):
    server.routes[URL_PATH] = LABELS_GZ
    check = 'gz-md5:' + hashlib.md5(LABELS_GZ).hexdigest()
    data.download(server.url + URL_PATH[1:], tmp_path/'labels.gz', check, progress=False)
    assert (tmp_path/'labels.gz').read_bytes() == LABELS_GZ

@pytest.mark.parametrize('route,words', [
    (gz(b'other bytes'), 'checksum'),
    (('drop', LABELS_GZ), 'connection closed after'),
    (None, '404'),
])
def test_download_failures_leave_nothing(server, tmp_path, route, words):
    if route is not None: server.routes[URL_PATH] = route
    dest = tmp_path/'out'/'labels.gz'
    with pytest.raises(data.DownloadError, match=words): data.download(server.url + URL_PATH[1:], dest, LABELS_SHA, progress=False)
    assert files_in(tmp_path/'out') == []

def test_download_failure_keeps_existing_dest(server, tmp_path):
    dest = tmp_path/'labels.gz'
    dest.write_bytes(b'old')
    server.routes[URL_PATH] = gz(b'other bytes')
    with pytest.raises(data.DownloadError): data.download(server.url + URL_PATH[1:], dest, LABELS_SHA, progress=False)
    assert dest.read_bytes() == b'old' and files_in(tmp_path) == ['labels.gz']

def test_download_refused(tmp_path):
    with pytest.raises(data.DownloadError): data.download(f'http://127.0.0.1:{free_port()}/x.gz', tmp_path/'x.gz', LABELS_SHA, progress=False)
    assert files_in(tmp_path) == []

def test_download_error_is_oserror(): assert issubclass(data.DownloadError, OSError)

@pytest.mark.parametrize('check, words', [
    ('abc', "'abc'"), ('sha1:' + '0' * 40, "'sha1'"), ('sha256:xyz', 'sha256 checksum'), ('gz-md5:' + '0' * 31, 'gz-md5 checksum'),
    ('sha256:' + '0' * 63 + 'g', 'sha256 checksum'), (None, 'None')])
def test_download_refuses_a_malformed_check_before_the_network(server, tmp_path, check, words):
    "A checksum spec that cannot be right is named at once: no request, no temporary file, no folder."
    server.routes[URL_PATH] = LABELS_GZ
    with pytest.raises(ValueError, match=re.escape(words)) as e:
        data.download(server.url + URL_PATH[1:], tmp_path/'out'/'labels.gz', check, progress=False)
    assert 'sha256:<64 hex digits>' in str(e.value) and server.hits == [] and not (tmp_path/'out').exists()

@pytest.mark.parametrize('kw', [dict(timeout=0), dict(timeout=-1), dict(time_limit=0), dict(time_limit=float('nan')),
                                dict(time_limit='600')])
def test_download_refuses_a_bad_time_limit_before_the_network(server, tmp_path, kw):
    server.routes[URL_PATH] = LABELS_GZ
    name = next(iter(kw))
    with pytest.raises(ValueError, match=name):
        data.download(server.url + URL_PATH[1:], tmp_path/'labels.gz', LABELS_SHA, progress=False, **kw)
    assert server.hits == [] and files_in(tmp_path) == []

def test_the_datasets_checksums_are_well_formed():
    for name, spec in data.DATASETS.items():
        for fname, check in spec['files'].items(): data.check_spec(check)


# ---- a server that trickles, stale temporary files, a download killed by a signal ----
def test_download_time_limit(server, tmp_path):
    "One byte every 0.1 s: never silent long enough for `timeout`; only the total time limit stops it."
    server.routes[URL_PATH] = ('trickle', LABELS_GZ, 0.1)  # would take len(LABELS_GZ) / 10 s, several seconds
    dest = tmp_path/'out'/'labels.gz'
    start = time.monotonic()
    with pytest.raises(data.DownloadError, match='time limit of 0.5 s') as e:
        data.download(server.url + URL_PATH[1:], dest, LABELS_SHA, progress=False, timeout=5, time_limit=0.5)
    assert time.monotonic() - start < 2.5
    assert f'of {len(LABELS_GZ)} bytes' in str(e.value)
    assert files_in(dest.parent) == []

@pytest.mark.parametrize('entry', ['find_files', 'get_data'])
def test_time_limit_reaches_download(monkeypatch, server, entry):
    monkeypatch.setenv('EXP_DATA_URL', server.url)
    server.routes.update({k: ('trickle', v, 0.1) for k, v in TINY_GZ.items()})
    start = time.monotonic()
    with pytest.raises(FileNotFoundError, match='time limit') as e:
        getattr(data, entry)('tiny', progress=False, time_limit=0.5)
    assert time.monotonic() - start < 2.5
    assert 'Downloading failed' in str(e.value) and files_in(cache()) == []

def test_download_sweeps_stale_parts(server, tmp_path):
    "Parts of the same file untouched for longer than timeout + time_limit are from a dead download; the rest stay."
    server.routes[URL_PATH] = LABELS_GZ
    stale, live, other = '.labels.gz.k1ll.part', '.labels.gz.l1ve.part', '.other.gz.k1ll.part'
    for name in (stale, live, other): (tmp_path/name).write_bytes(b'half a file')
    hour_ago = time.time() - 3600
    for name in (stale, other): os.utime(tmp_path/name, (hour_ago, hour_ago))
    data.download(server.url + URL_PATH[1:], tmp_path/'labels.gz', LABELS_SHA, progress=False, timeout=30, time_limit=600)
    assert files_in(tmp_path) == sorted([live, other, 'labels.gz'])

KILLED = """import sys
import exp.data as data
data.download(sys.argv[1], sys.argv[2], sys.argv[3], progress=False)
"""

@pytest.mark.parametrize('sig', [signal.SIGTERM, signal.SIGINT], ids=['SIGTERM', 'SIGINT'])
def test_download_killed_leaves_nothing(server, tmp_path, sig):
    "A download stopped by kill (SIGTERM) or Ctrl-C (SIGINT) halfway leaves no .part file; SIGTERM still ends the process."
    server.routes[URL_PATH] = ('trickle', LABELS_GZ, 0.5)
    dest = tmp_path/'out'/'labels.gz'
    proc = subprocess.Popen([sys.executable, '-c', KILLED, server.url + URL_PATH[1:], str(dest), LABELS_SHA],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not server.hits:  # the request reached the server: the download is under way
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.05)
        time.sleep(0.3)
        assert any(name.endswith('.part') for name in files_in(dest.parent))
        proc.send_signal(sig)
        proc.wait(30)
    finally:
        if proc.poll() is None: proc.kill()
        proc.stderr.close()
    assert proc.returncode == -sig if sig == signal.SIGTERM else proc.returncode != 0
    assert files_in(dest.parent) == []


# ---- show_images and normalize ----
@pytest.fixture
def agg():
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    yield plt
    plt.close('all')

@pytest.mark.parametrize('shape', [(10, 784), (10, 28, 28), (3, 5, 7)])
def test_show_images(agg, shape):
    ims = torch.rand(shape)
    data.show_images(ims, titles=[f't{i}' for i in range(len(ims))], ncols=4)
    axs = agg.gcf().axes
    assert len(axs) == 4 * -(-len(ims) // 4)
    assert [ax.get_title() for ax in axs[:len(ims)]] == [f't{i}' for i in range(len(ims))]
    assert all(len(ax.images) == 1 for ax in axs[:len(ims)]) and all(not ax.images for ax in axs[len(ims):])

@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16, torch.uint8, torch.float64])
def test_show_images_other_dtypes_without_warnings(agg, dtype):
    "matplotlib gets NumPy arrays, of a dtype NumPy has, and no tensor: no warning about NumPy 2's `copy`."
    import warnings
    ims = (torch.rand(3, 784) * (255 if dtype == torch.uint8 else 1)).to(dtype).requires_grad_(dtype.is_floating_point)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        data.show_images(ims)
    assert all(isinstance(ax.images[0].get_array().data, np.ndarray) for ax in agg.gcf().axes[:3])

def test_show_images_numpy_no_titles(agg):
    data.show_images(np.zeros((2, 784), np.float32))
    assert len(agg.gcf().axes) == 8

@pytest.mark.parametrize('shape', [(10, 783), (784,), (2, 1, 28, 28)])
def test_show_images_bad_shape(agg, shape):
    with pytest.raises(ValueError, match=r'\(N, H, W\)'): data.show_images(torch.zeros(shape))

def test_normalize():
    "With statistics that are not the data's own, so a normalize that ignores `m` and `s` fails."
    x = torch.rand(100, 784) * 3 + 2
    torch.testing.assert_close(data.normalize(x, 1.5, 4.0), (x - 1.5) / 4.0)
    m, s = torch.tensor(0.25), torch.tensor(0.5)  # the training statistics of some other set
    torch.testing.assert_close(data.normalize(x, m, s), (x - 0.25) * 2)
    per_pixel_m, per_pixel_s = torch.linspace(-1, 1, 784), torch.linspace(0.5, 2, 784)
    torch.testing.assert_close(data.normalize(x, per_pixel_m, per_pixel_s), (x - per_pixel_m) / per_pixel_s)
    assert data.normalize(torch.ones(2, device='meta'), 0.5, 2.0).is_meta
    assert data.normalize(torch.ones(2, device='meta'), torch.zeros(2, device='meta'), torch.ones(2, device='meta')).is_meta

@pytest.mark.parametrize('s, zeros, total', [(0.0, 1, 1), (torch.tensor(0.), 1, 1), (np.float32(0), 1, 1),
                                              (torch.tensor([1., 0, 2, 0]), 2, 4)])
def test_normalize_refuses_a_zero_std(s, zeros, total):
    "A pixel that never changes has std 0: (x - m) / 0 would give inf and nan everywhere it reaches."
    with pytest.raises(ValueError, match=rf"zero at {zeros} of {total} position"): data.normalize(torch.rand(3, 4), 0.5, s)

def test_normalize_per_pixel_std_of_mnist_like_data():
    x = torch.rand(50, 784); x[:, :30] = 0  # a border that is black in every image
    with pytest.raises(ValueError, match=r"zero at 30 of 784 positions"): data.normalize(x, x.mean(0), x.std(0))

def test_classes():
    assert len(data.FASHION_CLASSES) == 10 and data.DATASETS['fashion']['classes'] == data.FASHION_CLASSES


@pytest.mark.parametrize('s, words', [(torch.tensor([1., -2, 3]), 'negative or nan at 1 of 3 positions'),
                                      (float('nan'), 'negative or nan at 1 of 1 position'),
                                      (torch.tensor([float('nan'), 0., -1.]), 'zero at 1 of 3')])
def test_normalize_refuses_a_std_that_is_not_positive(s, words):
    "A negative std would flip the sign of every value silently, a nan one would make every value nan."
    with pytest.raises(ValueError, match=words): data.normalize(torch.rand(4, 3), 0.5, s)

def test_show_images_titles_must_match(agg):
    with pytest.raises(ValueError, match=r"3 titles for 4 images"): data.show_images(torch.rand(4, 784), titles=['a', 'b', 'c'])
