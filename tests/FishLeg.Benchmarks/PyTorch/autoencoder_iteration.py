"""The main job's autoencoder (samples/Experiments/Models.cs, Autoencoder: 784-1000-500-250-30-250-500-1000-784, ReLU,
linear 30-unit code, Bernoulli likelihood summed over the pixels and averaged over the images) in PyTorch at batch 100:
medians of a forward and backward pass and of SGD-momentum and Adam iterations, for the side-by-side table in the README.
Run with the system Python (Debian python3-torch) and OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset:
/usr/bin/python3 autoencoder_iteration.py [threads], threads being PyTorch's own (OPENBLAS_NUM_THREADS sets OpenBLAS's)."""
import torch
from torch import nn
import timing

timing.setup()

torch.manual_seed(1)
widths = [784, 1000, 500, 250, 30, 250, 500, 1000, 784]
layers = []
for i, (a, b) in enumerate(zip(widths, widths[1:])):
    layers.append(nn.Linear(a, b))
    if b != 30 and i < len(widths) - 2:
        layers.append(nn.ReLU())
model = nn.Sequential(*layers)
x = torch.rand(100, 784)


def loss():
    return nn.functional.binary_cross_entropy_with_logits(model(x), x, reduction="sum") / x.shape[0]


# foreach: the optimizers' multi-tensor form, PyTorch's fastest on the CPU (its Adam 17-56 ms here against 39-66 ms without).
sgd = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, foreach=True)
adam = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=True)


def forward_backward():
    model.zero_grad(set_to_none=False)
    loss().backward()


def step(optimizer):
    def run():
        optimizer.zero_grad(set_to_none=False)
        loss().backward()
        optimizer.step()
    return run


for name, fn in [("forward + backward", forward_backward), ("SGD-momentum iteration", step(sgd)), ("Adam iteration", step(adam))]:
    timing.report(name, fn)
