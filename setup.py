"""Packaging of tensorboard-plugin-saturation."""

import setuptools

_TENSORFLOW = ["tensorflow>=2.16"]

setuptools.setup(
    name="tensorboard_plugin_saturation",
    version="0.1.0",
    description="TensorBoard tab that shows saturated sigmoid/tanh units and dead ReLUs, and says why.",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=["tensorboard_plugin_saturation", "tensorboard_plugin_saturation.diagnosis"],
    package_data={"tensorboard_plugin_saturation": ["static/*.js", "static/*.css", "http_api.md"]},
    python_requires=">=3.9",
    # The viewer, the report, saturation_pb and the PyTorch logger need no
    # TensorFlow (README: "Install"); TensorBoard runs on its own TF stub.
    install_requires=[
        "tensorboard>=2.12",
        "numpy>=1.22",
        "werkzeug>=2.0",
    ],
    extras_require={
        "tensorflow": _TENSORFLOW,  # summary.saturation(), SaturationCallback on TF
        "torch": ["torch>=2.1"],  # tensorboard_plugin_saturation.torch
        "s3": ["boto3>=1.20"],  # s3:// log dirs (TensorBoard's gfile uses boto3)
        "demo": _TENSORFLOW + ["scikit-learn>=1.0"],
        "test": _TENSORFLOW
        + [
            "scikit-learn>=1.0",
            "pytest>=7",
            "hypothesis>=6",
            "playwright>=1.40",
            # the CPU wheel (pip's find-links on the CI machine); other builds download GBs
            "torch==2.13.0",
            "boto3>=1.20",
            "moto[server]>=5",
            "jax[cpu]>=0.4.30",  # the Keras callback on the JAX backend
            "tf_keras",  # the callback on legacy Keras 2 (pip picks the release of the installed TensorFlow)
        ],
    },
    entry_points={
        "tensorboard_plugins": [
            "saturation = tensorboard_plugin_saturation.loader:SaturationLoader",
        ],
        "console_scripts": [
            "saturation-report = tensorboard_plugin_saturation.report:main",
        ],
    },
    classifiers=[
        "Framework :: TensorFlow",
        "Intended Audience :: Science/Research",
        "License :: OSI Approved :: Apache Software License",
        "Programming Language :: Python :: 3",
    ],
    license="Apache-2.0",
)
