"""PyTorch: log the saturation of a small network while it trains.

    python examples/pytorch_logger.py [LOG_DIR]    # default logs/pytorch; s3://bucket/run works too
"""
import sys

import torch
from torch import nn

from tensorboard_plugin_saturation.torch import SaturationLogger

log_dir = sys.argv[1] if len(sys.argv) > 1 else "logs/pytorch"
torch.manual_seed(0)
x = torch.randn(1024, 20)
y = (x[:, :5].sum(dim=1, keepdim=True) > 0).float()
model = nn.Sequential(
    nn.Linear(20, 64), nn.Tanh(),
    nn.Linear(64, 64), nn.Sigmoid(),
    nn.Linear(64, 1),
)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.BCEWithLogitsLoss()

# Logs BEFORE every 10th update: step 0 shows the initialization.
with SaturationLogger(model, log_dir, probe_data=x[:256], optimizer=optimizer, update_freq=10):
    for epoch in range(5):
        for batch in torch.randperm(len(x)).split(64):
            optimizer.zero_grad()
            loss_fn(model(x[batch]), y[batch]).backward()
            optimizer.step()
