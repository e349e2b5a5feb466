"""The sample CNN (samples/Experiments/Models.cs, FashionCnn) in PyTorch at batch 100: medians of a forward pass, a
forward and backward pass, and SGD-momentum and Adam iterations, for the side-by-side table in docs/benchmarks.md.
Run with the system Python (Debian python3-torch) and OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset:
/usr/bin/python3 cnn_iteration.py [threads]."""
import ctypes, ctypes.util, os, statistics, sys, time
import torch
from torch import nn

assert "OPENBLAS_CORETYPE" not in os.environ and "OPENBLAS_L2_SIZE" not in os.environ, "unset OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE"
threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
torch.set_num_threads(threads)
for name in ("openblas", "openblas64"):
    path = ctypes.util.find_library(name)
    if path:
        blas = ctypes.CDLL(path)
        blas.openblas_get_corename.restype = ctypes.c_char_p
        print("OpenBLAS kernel:", blas.openblas_get_corename().decode())
        break
print("torch", torch.__version__, "threads", torch.get_num_threads(), "mkldnn", torch.backends.mkldnn.is_available())

torch.manual_seed(1)
model = nn.Sequential(
    nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
x = torch.rand(100, 1, 28, 28)
y = torch.randint(0, 10, (100,))
loss_fn = nn.CrossEntropyLoss()
sgd = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
adam = torch.optim.Adam(model.parameters(), lr=1e-3)


def forward():
    with torch.no_grad():
        loss_fn(model(x), y)


def forward_backward():
    model.zero_grad(set_to_none=False)
    loss_fn(model(x), y).backward()


def step(optimizer):
    def run():
        optimizer.zero_grad(set_to_none=False)
        loss_fn(model(x), y).backward()
        optimizer.step()
    return run


for name, fn in [("forward", forward), ("forward + backward", forward_backward), ("SGD-momentum iteration", step(sgd)), ("Adam iteration", step(adam))]:
    for _ in range(10):
        fn()
    times = []
    for _ in range(7):
        start = time.perf_counter()
        for _ in range(10):
            fn()
        times.append((time.perf_counter() - start) / 10 * 1e3)
    print(f"{name}: median {statistics.median(times):.2f} ms, range {min(times):.2f}-{max(times):.2f} ms")
