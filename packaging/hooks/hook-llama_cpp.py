# llama-cpp-python loads libllama and the ggml libraries with ctypes from llama_cpp/lib/, beside its module.
from PyInstaller.utils.hooks import collect_dynamic_libs

binaries = collect_dynamic_libs("llama_cpp")
