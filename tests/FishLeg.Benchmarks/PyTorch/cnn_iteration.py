"""The sample CNN (samples/Experiments/Models.cs, FashionCnn) in PyTorch at batch 100: medians of a forward pass, a
forward and backward pass, and SGD-momentum and Adam iterations, for the side-by-side table in docs/benchmarks.md.
Run with the system Python (Debian python3-torch) and OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset:
/usr/bin/python3 cnn_iteration.py [threads]."""
import torch
from torch import nn
import timing

timing.setup()

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
    timing.report(name, fn)
