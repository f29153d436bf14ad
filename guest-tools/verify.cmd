@echo off
rem Aero Guest Tools: checks this Windows against the media and writes a report.
rem Runs verify.ps1 (Windows PowerShell 2.0 or later, present on Windows 7) and passes its
rem exit code on: 0 every check passed, 1 warnings only, 2 at least one check failed.
rem Options go to verify.ps1: -OutDir DIR (default %SystemDrive%\AeroGuestTools), -SkipHashes.
setlocal EnableExtensions
set "PS=%SystemRoot%\System32\WindowsPowerShell\v1.0\powershell.exe"
rem A 32-bit cmd on 64-bit Windows would start 32-bit PowerShell, which sees redirected
rem registry and System32: use the native one.
if defined PROCESSOR_ARCHITEW6432 if exist "%SystemRoot%\Sysnative\WindowsPowerShell\v1.0\powershell.exe" set "PS=%SystemRoot%\Sysnative\WindowsPowerShell\v1.0\powershell.exe"
if exist "%PS%" goto :run
echo verify.cmd: Windows PowerShell was not found; it is part of Windows 7 and later.
exit /b 2
:run
"%PS%" -NoProfile -NonInteractive -ExecutionPolicy Bypass -File "%~dp0verify.ps1" %*
exit /b %ERRORLEVEL%
