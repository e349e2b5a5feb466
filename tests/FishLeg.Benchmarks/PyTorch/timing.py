"""What the PyTorch side-by-side scripts share: the threading and OpenBLAS checks, and the timing of one operation
(10 warm-up calls, then the median of 7 samples of 10 calls)."""
import ctypes, ctypes.util, os, statistics, sys, time
import torch


def setup():
    """Refuses a pinned OpenBLAS, sets PyTorch's threads from argv[1] (default 2), prints the OpenBLAS kernel."""
    assert "OPENBLAS_CORETYPE" not in os.environ and "OPENBLAS_L2_SIZE" not in os.environ, "unset OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE"
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
    for name in ("openblas", "openblas64"):
        path = ctypes.util.find_library(name)
        if path:
            blas = ctypes.CDLL(path)
            blas.openblas_get_corename.restype = ctypes.c_char_p
            print("OpenBLAS kernel:", blas.openblas_get_corename().decode())
            break
    print("torch", torch.__version__, "threads", torch.get_num_threads(), "mkldnn", torch.backends.mkldnn.is_available())


def report(name, fn):
    for _ in range(10):
        fn()
    times = []
    for _ in range(7):
        start = time.perf_counter()
        for _ in range(10):
            fn()
        times.append((time.perf_counter() - start) / 10 * 1e3)
    print(f"{name}: median {statistics.median(times):.2f} ms, range {min(times):.2f}-{max(times):.2f} ms")
