# Sourced by the sample scripts (ci/sample.sh, ci/kotlin-sample.sh): sets the Maven arguments array `args`.
# With ATTN4J_REPO set, Maven uses that private local repository instead of ~/.m2, and third-party artifacts are
# copied from ~/.m2/repository (through a file:// mirror written next to it), never downloaded.
args=(-B -Djavacpp.platform=linux-x86_64)
if [[ -n "${ATTN4J_REPO:-}" ]]; then
  mkdir -p "$ATTN4J_REPO"
  settings="$ATTN4J_REPO/../${SAMPLE_SETTINGS_NAME:-sample-settings.xml}"
  cat > "$settings" <<XML
<settings><mirrors><mirror><id>user-local-repository</id><mirrorOf>*</mirrorOf>
<url>file://$HOME/.m2/repository</url></mirror></mirrors></settings>
XML
  args+=(-Dmaven.repo.local="$(cd "$ATTN4J_REPO" && pwd)" -s "$settings" -Daether.offline.protocols=file)
fi
