"""recsim_ng: a TensorFlow Probability framework for simulating recommender ecosystems."""

import setuptools

setuptools.setup(
    name="recsim_ng",
    version="0.2.0.dev0",
    description="Simulate recommender ecosystems as compiled, differentiable TFP programs.",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    packages=setuptools.find_packages(include=["recsim_ng", "recsim_ng.*"]),
    python_requires=">=3.11,<3.12",
    # TFP 0.23 with TensorFlow 2.15 (and numpy < 2) is the pinned stack (constraints.txt); CI also
    # tests the core and library on the newest releases (scripts/test_latest.sh).
    install_requires=[
        "tensorflow-probability>=0.23.0",
        "numpy",
        "absl-py",
        "ml-collections",
        "tqdm",  # the runner's progress bars
    ],
    extras_require={
        # The CPU wheel by default; install the `gpu` extra instead on a CUDA machine.
        "cpu": ["tensorflow-cpu~=2.15.1"],
        "gpu": ["tensorflow[and-cuda]~=2.15.1"],
        "rl": ["tf-agents~=0.19.0"],
        "gym": ["gymnasium>=1.0,<2"],
        "plots": ["matplotlib~=3.9.2"],  # learning curves (scripts/reproduce_results.py)
        # Logs as tables (pandas; Parquet through pyarrow). The example logs themselves ship in
        # recbole and obp, installed without their dependencies: see recsim_ng/data/datasets.py.
        "data": ["pandas", "pyarrow", "scipy"],  # scipy: two-sample tests in the report
        # Executing the colab/ notebooks (CI runs each top to bottom through a Jupyter kernel).
        "notebooks": ["nbclient", "nbformat", "ipykernel"],
        "dev": ["pytest"],
    },
    entry_points={"console_scripts": ["recsim_ng=recsim_ng.cli.main:run"]},
)
