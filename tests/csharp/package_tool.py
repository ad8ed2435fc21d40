"""Unity package housekeeping: stable-GUID .meta files and the sample scene.

    python3 tests/csharp/package_tool.py meta     # write missing .meta files (never rewrites existing GUIDs)
    python3 tests/csharp/package_tool.py scene    # (re)write Samples~/BasicSetup/BasicSetup.unity
    python3 tests/csharp/package_tool.py check    # exit 1 if an asset lacks a .meta, a .meta is orphaned or GUIDs clash
    python3 tests/csharp/package_tool.py release  # check a release is consistent; --create makes the git tag

Release process of the Unity package (the tag is what `...?path=unity_package#unity-vX.Y.Z` installs):
  1. bump "version" in unity_package/package.json and add "## [X.Y.Z] - YYYY-MM-DD" at the top of CHANGELOG.md;
  2. `make test` green, everything committed;
  3. `python3 tests/csharp/package_tool.py release --create` checks 1-2 (and the .meta files) and creates the annotated
     tag unity-vX.Y.Z on HEAD; then `git push origin unity-vX.Y.Z`.

Unity needs a .meta beside every asset (files AND folders) of a package installed from git, with a GUID that never
changes: scenes and prefabs reference scripts by GUID. GUIDs here are derived from the package-relative path
(md5 of "com.facebridge.unity/<path>"), so regenerating gives the same value. Folders ending in "~" are ignored by
Unity's importer and get no .meta, except Samples~ content, which is copied into Assets/ on import (its scene
references the sample script by GUID, so that one needs a stable .meta too).
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "unity_package"
PACKAGE_NAME = "com.facebridge.unity"


def guid_for(rel: str) -> str:
    """Stable 32-hex GUID of a package-relative path."""
    return hashlib.md5(f"{PACKAGE_NAME}/{rel}".encode()).hexdigest()


_TAIL = "  externalObjects: {}\n  userData: \n  assetBundleName: \n  assetBundleVariant: \n"


def _importer(path: Path) -> str:
    if path.is_dir():
        return "folderAsset: yes\nDefaultImporter:\n" + _TAIL
    suffix = path.suffix
    if suffix == ".cs":
        return ("MonoImporter:\n  externalObjects: {}\n  serializedVersion: 2\n  defaultReferences: []\n"
                "  executionOrder: 0\n  icon: {instanceID: 0}\n  userData: \n  assetBundleName: \n"
                "  assetBundleVariant: \n")
    if suffix == ".asmdef":
        return "AssemblyDefinitionImporter:\n" + _TAIL
    if path.name == "package.json":
        return "PackageManifestImporter:\n" + _TAIL
    if suffix == ".unity":
        return "DefaultImporter:\n" + _TAIL
    return "TextScriptImporter:\n" + _TAIL


def assets() -> list[Path]:
    """Every file and folder that needs a .meta."""
    out: list[Path] = []
    for path in sorted(PACKAGE.rglob("*")):
        rel = path.relative_to(PACKAGE)
        if path.suffix == ".meta" or any(part.startswith(".") for part in rel.parts):
            continue
        tilde = [i for i, part in enumerate(rel.parts) if part.endswith("~")]
        if tilde and rel.parts[tilde[0]] != "Samples~":
            continue
        if rel.parts[0] == "Samples~" and len(rel.parts) < 3:
            continue  # Samples~ itself and the sample folders are not imported as assets
        out.append(path)
    return out


def write_meta() -> int:
    written = 0
    for path in assets():
        meta = path.with_name(path.name + ".meta")
        if meta.exists():
            continue
        rel = path.relative_to(PACKAGE).as_posix()
        meta.write_text(f"fileFormatVersion: 2\nguid: {guid_for(rel)}\n{_importer(path)}")
        written += 1
    print(f"wrote {written} .meta files")
    return 0


def check() -> int:
    problems: list[str] = []
    guids: dict[str, Path] = {}
    wanted = {p.with_name(p.name + ".meta") for p in assets()}
    for meta in wanted:
        if not meta.exists():
            problems.append(f"missing {meta.relative_to(PACKAGE)}")
            continue
        match = re.search(r"^guid: ([0-9a-f]{32})$", meta.read_text(), re.MULTILINE)
        if not match:
            problems.append(f"no valid guid in {meta.relative_to(PACKAGE)}")
        elif match.group(1) in guids:
            problems.append(f"duplicate guid in {meta.relative_to(PACKAGE)} and {guids[match.group(1)]}")
        else:
            guids[match.group(1)] = meta.relative_to(PACKAGE)
    for meta in PACKAGE.rglob("*.meta"):
        if meta not in wanted:
            problems.append(f"orphaned {meta.relative_to(PACKAGE)} (its asset is gone)")
    for p in problems:
        print(p, file=sys.stderr)
    print(f"{len(wanted)} assets, {len(problems)} problems")
    return 1 if problems else 0


def tag_name(version: str) -> str:
    """The git tag a package version is released under."""
    return f"unity-v{version}"


def release_problems(require_clean: bool) -> tuple[str, list[str]]:
    """The version to release and what stands in the way (empty list: ready)."""
    import json
    import subprocess

    problems: list[str] = []
    version = json.loads((PACKAGE / "package.json").read_text())["version"]
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        problems.append(f"package.json: version {version!r} is not X.Y.Z")
    changelog = (PACKAGE / "CHANGELOG.md").read_text()
    entries = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", changelog, re.MULTILINE)
    if not entries or entries[0][0] != version:
        problems.append(f"CHANGELOG.md: the newest entry must be '## [{version}] - YYYY-MM-DD'")
    if check() != 0:
        problems.append(".meta files are not consistent (run: python3 tests/csharp/package_tool.py meta)")
    git = ["git", "-C", str(PACKAGE.parent)]
    if require_clean:
        status = subprocess.run([*git, "status", "--porcelain"], capture_output=True, text=True).stdout
        if status.strip():
            problems.append("uncommitted changes: commit first, the tag must point at what was tested")
    tags = subprocess.run([*git, "tag", "--list", tag_name(version)], capture_output=True, text=True).stdout
    if tags.strip():
        problems.append(f"tag {tag_name(version)} already exists: bump the version")
    return version, problems


def release(argv: list[str]) -> int:
    import subprocess

    create = "--create" in argv
    version, problems = release_problems(require_clean=create)
    for p in problems:
        print(f"release: {p}", file=sys.stderr)
    if problems:
        return 1
    tag = tag_name(version)
    if not create:
        print(f"ready to release {tag} (run with --create to tag HEAD)")
        return 0
    message = f"com.facebridge.unity {version}"
    subprocess.run(["git", "-C", str(PACKAGE.parent), "tag", "-a", tag, "-m", message], check=True)
    print(f"tagged {tag}; publish it with: git push origin {tag}")
    return 0


def _script_ref(rel: str) -> str:
    return f"{{fileID: 11500000, guid: {guid_for(rel)}, type: 3}}"


def _game_object(file_id: int, name: str, components: list[int]) -> str:
    comps = "".join(f"  - component: {{fileID: {c}}}\n" for c in components)
    return (f"--- !u!1 &{file_id}\nGameObject:\n  m_ObjectHideFlags: 0\n  m_CorrespondingSourceObject: {{fileID: 0}}\n"
            f"  m_PrefabInstance: {{fileID: 0}}\n  m_PrefabAsset: {{fileID: 0}}\n  serializedVersion: 6\n"
            "  m_Component:\n"
            f"{comps}  m_Layer: 0\n  m_Name: {name}\n  m_TagString: Untagged\n  m_Icon: {{fileID: 0}}\n"
            f"  m_NavMeshLayer: 0\n  m_StaticEditorFlags: 0\n  m_IsActive: 1\n")


def _transform(file_id: int, go: int, order: int, rotation: str = "{x: 0, y: 0, z: 0, w: 1}",
               position: str = "{x: 0, y: 0, z: 0}") -> str:
    return (f"--- !u!4 &{file_id}\nTransform:\n  m_ObjectHideFlags: 0\n  m_CorrespondingSourceObject: {{fileID: 0}}\n"
            f"  m_PrefabInstance: {{fileID: 0}}\n  m_PrefabAsset: {{fileID: 0}}\n  m_GameObject: {{fileID: {go}}}\n"
            f"  m_LocalRotation: {rotation}\n  m_LocalPosition: {position}\n  m_LocalScale: {{x: 1, y: 1, z: 1}}\n"
            f"  m_Children: []\n  m_Father: {{fileID: 0}}\n  m_RootOrder: {order}\n"
            f"  m_LocalEulerAnglesHint: {{x: 0, y: 0, z: 0}}\n")


def _mono(file_id: int, go: int, script: str, fields: str) -> str:
    return (f"--- !u!114 &{file_id}\nMonoBehaviour:\n  m_ObjectHideFlags: 0\n"
            "  m_CorrespondingSourceObject: {fileID: 0}\n"
            f"  m_PrefabInstance: {{fileID: 0}}\n  m_PrefabAsset: {{fileID: 0}}\n  m_GameObject: {{fileID: {go}}}\n"
            f"  m_Enabled: 1\n  m_EditorHideFlags: 0\n  m_Script: {script}\n  m_Name: \n"
            f"  m_EditorClassIdentifier: \n{fields}")


def scene_text() -> str:
    """A small scene: camera, a directional key light, and the demo object with the receiver on the default port."""
    camera = (_game_object(10, "Main Camera", [11, 12]) + _transform(11, 10, 0, position="{x: 0, y: 1.5, z: -2}")
              + "--- !u!20 &12\nCamera:\n  m_ObjectHideFlags: 0\n  m_GameObject: {fileID: 10}\n  m_Enabled: 1\n"
              "  serializedVersion: 2\n  m_ClearFlags: 2\n  m_BackGroundColor: {r: 0.1, g: 0.1, b: 0.12, a: 1}\n"
              "  near clip plane: 0.1\n  far clip plane: 100\n  field of view: 40\n  orthographic: 0\n  m_Depth: -1\n")
    light = (_game_object(20, "Key Light", [21, 22])
             + _transform(21, 20, 1, rotation="{x: 0.4082179, y: -0.23456968, z: 0.10938163, w: 0.8754261}")
             + "--- !u!108 &22\nLight:\n  m_ObjectHideFlags: 0\n  m_GameObject: {fileID: 20}\n  m_Enabled: 1\n"
             "  serializedVersion: 10\n  m_Type: 1\n  m_Color: {r: 1, g: 1, b: 1, a: 1}\n  m_Intensity: 1\n"
             "  m_Shadows:\n    m_Type: 2\n")
    receiver = _mono(32, 30, _script_ref("Runtime/Unity/FaceBridgeReceiver.cs"),
                     "  _protocol: 0\n  _port: 39571\n  _bindAddress: 0.0.0.0\n  _connectionTimeout: 1\n")
    demo = _mono(33, 30, _script_ref("Samples~/BasicSetup/FaceBridgeDemo.cs"),
                 "  _faceMeshes: []\n  _keyLight: {fileID: 22}\n")
    bridge = _game_object(30, "FaceBridge", [31, 32, 33]) + _transform(31, 30, 2) + receiver + demo
    settings = ("--- !u!104 &2\nRenderSettings:\n  m_ObjectHideFlags: 0\n  serializedVersion: 9\n  m_AmbientMode: 3\n"
                "  m_AmbientSkyColor: {r: 0.5, g: 0.5, b: 0.5, a: 1}\n")
    return "%YAML 1.1\n%TAG !u! tag:unity3d.com,2011:\n" + settings + camera + light + bridge


def write_scene() -> int:
    path = PACKAGE / "Samples~" / "BasicSetup" / "BasicSetup.unity"
    path.write_text(scene_text())
    print(f"wrote {path.relative_to(PACKAGE)}")
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["release"]:
        return release(argv[1:])
    commands = {"meta": write_meta, "check": check, "scene": write_scene}
    if len(argv) != 1 or argv[0] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    return commands[argv[0]]()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
