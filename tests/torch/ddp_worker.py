"""One rank of the DDP test (tests/torch/test_ddp.py): trains a small DDP model with a SaturationLogger.

    python tests/without_tensorflow.py tests/torch/ddp_worker.py RANK WORLD_SIZE PORT LOG_DIR
Prints {"rank", "active", "targets", "weights"} as JSON on its last line.
"""

import datetime
import json
import os
import sys

import torch
import torch.distributed as dist
from torch import nn

from tensorboard_plugin_saturation.torch import SaturationLogger

rank, world, port, log_dir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=port)
dist.init_process_group("gloo", rank=rank, world_size=world, timeout=datetime.timedelta(seconds=60))
torch.manual_seed(0)  # the same initial weights on every rank
model = nn.parallel.DistributedDataParallel(
    nn.Sequential(nn.Linear(6, 16), nn.Sigmoid(), nn.Linear(16, 16), nn.BatchNorm1d(16), nn.Tanh(), nn.Linear(16, 1))
)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
generator = torch.Generator().manual_seed(rank)  # each rank its own shard
x = torch.randn(64, 6, generator=generator)
y = torch.randn(64, 1, generator=generator)
with SaturationLogger(model, log_dir, x[:32], optimizer=optimizer, update_freq=2) as logger:
    for _ in range(5):
        optimizer.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        optimizer.step()
dist.barrier()
weights = model.module[0].weight.detach().sum().item()
dist.destroy_process_group()
print(json.dumps({"rank": rank, "active_targets": [t.tag for t in logger.targets], "weights": weights}))
