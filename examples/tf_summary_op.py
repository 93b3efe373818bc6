"""Any TF2 training loop: the summary op computes the statistics on the device, inside tf.function.

    python examples/tf_summary_op.py [LOG_DIR]    # default logs/tf
"""
import sys

import tensorflow as tf

import tensorboard_plugin_saturation as sat

log_dir = sys.argv[1] if len(sys.argv) > 1 else "logs/tf"
x = tf.random.stateless_normal([1024, 20], seed=[0, 1])
y = tf.cast(tf.reduce_sum(x[:, :5], axis=1, keepdims=True) > 0, tf.float32)
hidden = tf.keras.layers.Dense(64, activation="sigmoid")
head = tf.keras.layers.Dense(1)
optimizer = tf.keras.optimizers.Adam(1e-3)
writer = tf.summary.create_file_writer(log_dir)


@tf.function
def train_step(step, xb, yb):
    with tf.GradientTape() as tape:
        h = hidden(xb)
        loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(yb, head(h)))
    variables = hidden.trainable_variables + head.trainable_variables
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    with writer.as_default():
        sat.summary.saturation("hidden", h, step=step, activation="sigmoid")


for step in range(50):
    batch = slice((step % 16) * 64, (step % 16 + 1) * 64)
    train_step(tf.constant(step, tf.int64), x[batch], y[batch])
writer.flush()
