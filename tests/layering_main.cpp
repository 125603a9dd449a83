// Linked with one whole library and only what that library declares it needs
// (tests/CMakeLists.txt, "The layering"): that the link succeeds is the check.
int main() {
  return 0;
}
