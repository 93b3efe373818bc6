"""Packaging of tensorboard-plugin-saturation."""

import setuptools

setuptools.setup(
    name="tensorboard_plugin_saturation",
    version="0.1.0",
    description="TensorBoard tab that shows saturated sigmoid/tanh units and dead ReLUs, and says why.",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=["tensorboard_plugin_saturation", "tensorboard_plugin_saturation.diagnosis"],
    package_data={"tensorboard_plugin_saturation": ["static/*.js", "static/*.css", "http_api.md"]},
    python_requires=">=3.9",
    install_requires=[
        "tensorboard>=2.12",
        "tensorflow>=2.16",
        "numpy>=1.22",
        "werkzeug>=2.0",
    ],
    extras_require={
        "demo": ["scikit-learn>=1.0"],
        "test": [
            "scikit-learn>=1.0",
            "pytest>=7",
            "hypothesis>=6",
            "playwright>=1.40",
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
