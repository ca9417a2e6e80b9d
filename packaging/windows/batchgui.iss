; Inno Setup script: a per-user installer for the PyInstaller folder dist\batchgui.
; NOT TESTED HERE (the project's machines run Linux); see packaging\README.md.
;   iscc /DAppVersion=0.1.0 packaging\windows\batchgui.iss     -> dist\batchgui-0.1.0-windows-setup.exe
#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif

[Setup]
AppId={{6F0C5E3A-8E0B-4B7C-9B39-2B1A3C0BA7C1}
AppName=batchgui
AppVersion={#AppVersion}
AppPublisher=batchgui developers
AppPublisherURL=https://github.com/batchgui/batchgui
AppSupportURL=https://github.com/batchgui/batchgui/issues
DefaultDirName={autopf}\batchgui
DefaultGroupName=batchgui
DisableProgramGroupPage=yes
; Per-user by default (no administrator rights needed); the user may choose all users.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=batchgui-{#AppVersion}-windows-setup
SetupIconFile=..\..\build\icons\batchgui.ico
UninstallDisplayIcon={app}\batchgui.exe
Compression=lzma2
SolidCompression=yes
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\..\dist\batchgui\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\batchgui"; Filename: "{app}\batchgui.exe"
Name: "{group}\Uninstall batchgui"; Filename: "{uninstallexe}"
Name: "{autodesktop}\batchgui"; Filename: "{app}\batchgui.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\batchgui.exe"; Description: "{cm:LaunchProgram,batchgui}"; Flags: nowait postinstall skipifsilent
