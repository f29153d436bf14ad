@echo off
rem Aero Guest Tools: installs the drivers on this media into the running Windows.
rem Windows 7 SP1 and later, x86 / x64 / ARM64. Plain cmd: no PowerShell is needed to install.
rem Usage and exit codes: setup.cmd /?   Documentation: README.md beside this file.
rem
rem Written for real cmd.exe and also run by the project's tests under Wine's cmd, so it keeps
rem to constructs both handle: one level of FOR per loop, no !var:a=b! or !var:~n,m!, no
rem findstr, external tools always started with CALL (test stand-ins are .cmd files).
setlocal EnableExtensions DisableDelayedExpansion
set "NoDefaultCurrentDirectoryInExePath=1"

rem A 32-bit cmd on 64-bit Windows sees redirected System32 and a 32-bit pnputil that cannot
rem install 64-bit drivers: start again in the native cmd.
if not defined PROCESSOR_ARCHITEW6432 goto :native
if not exist "%SystemRoot%\Sysnative\cmd.exe" goto :native
"%SystemRoot%\Sysnative\cmd.exe" /c ""%~f0" %*"
exit /b
:native

set "MEDIA=%~dp0"
set "STATE=%SystemDrive%\AeroGuestTools"
set "TMPOUT=%TEMP%\aero-guest-tools-setup.tmp"
set "CDD_ROOT=HKLM\SYSTEM\CurrentControlSet\Control\CriticalDeviceDatabase"
set "LOGFILE="
set "FAILS=0"
set "REBOOT=0"

set "F_FORCE=0"
set "F_CHECK=0"
set "F_STAGEONLY=0"
set "F_SKIPSTORAGE=0"
set "F_INSTALLCERTS=0"
set "F_TESTSIGNING=0"
set "F_NOTESTSIGNING=0"
set "F_NOINTEGRITY=0"
set "F_POLICY="
set "F_NOREBOOT=0"
set "F_VERIFYMEDIA=0"
set "DRYRUN=0"
set "BADARG="
set "BADWHY="
set "HELP=0"
call :parse_args %*
if "%HELP%"=="1" goto :usage_ok
if defined BADARG goto :usage_bad
if "%F_TESTSIGNING%%F_NOINTEGRITY%"=="11" (
  echo setup.cmd: /testsigning and /nointegritychecks cannot be used together; choose one.
  exit /b 2
)
rem /force and /quiet never ask, so they never restart either: restart when asked only.
if "%F_FORCE%"=="1" set "F_NOREBOOT=1"

call :detect_arch
call :detect_os
call :read_manifest
call :effective_policy

if "%F_CHECK%"=="1" (
  echo Aero Guest Tools setup: validating the media only ^(/check^)
) else (
  echo Aero Guest Tools setup
)
call :say "Media:   %MEDIA%"
call :say "Windows: %OS_VER% (%ARCH_RAW%)"
call :say "Guest Tools: version %GT_VERSION%, build %GT_BUILD_ID%"
if "%DRYRUN%"=="1" call :say "Dry run: system-changing commands are printed, not run."
if "%F_CHECK%"=="1" goto :check_mode

rem /verify-media checks the media before anything else, without needing Administrator.
if not "%F_VERIFYMEDIA%"=="1" goto :verified
call :verify_media
if not "%VM_RESULT%"=="0" exit /b 14
:verified

rem ---- checks: all of them pass before anything is changed -----------------------------
rem fltmc needs elevation; it fails with a negative HRESULT otherwise, so compare with 0.
call fltmc >nul 2>&1
if "%ERRORLEVEL%"=="0" goto :admin_ok
if "%DRYRUN%"=="1" (
  call :say "WARNING: not running as Administrator; a real run would stop here with exit code 10."
  goto :admin_ok
)
call :say "ERROR: setup.cmd must run as Administrator (right-click, Run as administrator). setup.cmd /check validates the media without it."
exit /b 10
:admin_ok

call :preflight
if not "%PF_RC%"=="0" exit /b %PF_RC%

if "%F_FORCE%"=="1" goto :confirmed
if "%DRYRUN%"=="1" goto :confirmed
call :ask "Install the drivers from this media now?"
if "%ANSWER%"=="1" goto :confirmed
call :say "Cancelled; nothing was changed."
exit /b 1
:confirmed

rem ---- changes ----------------------------------------------------------------------------
if "%DRYRUN%"=="1" goto :no_state
if not exist "%STATE%\" mkdir "%STATE%"
if not exist "%STATE%\" (
  call :say "ERROR: cannot create %STATE%."
  exit /b 1
)
set "LOGFILE=%STATE%\install.log"
>>"%LOGFILE%" echo.
>>"%LOGFILE%" echo.==== setup.cmd %* ==== %DATE% %TIME%
call :log_only "media=%MEDIA% arch=%ARCH% os=%OS_VER% version=%GT_VERSION% build_id=%GT_BUILD_ID% policy=%POLICY% certs_required=%CERTS_REQUIRED%"
call :installed_media
:no_state

if "%DO_CERTS%"=="1" for /r "%MEDIA%certs" %%F in (*.cer *.crt *.p7b) do call :install_cert "%%F"
if "%DO_CERTS%"=="0" if not "%CERT_COUNT%"=="0" call :say "Certificates in certs\ left out: signing policy %POLICY% does not need them (/installcerts installs them)."

if "%F_SKIPSTORAGE%"=="1" (
  call :say "Skipping the boot storage pre-seed (/skipstorage): do not switch the boot disk to virtio."
) else (
  call :preseed_storage
)

for /r "%DRV%" %%F in (*.inf) do call :install_inf "%%F"

call :signature_mode

call :say ""
if "%DRYRUN%"=="1" (
  call :say "Dry run finished; nothing was changed."
  goto :finish
)
if not "%FAILS%"=="0" (
  call :say "Setup finished with %FAILS% failed step(s); see %STATE%\install.log."
) else (
  call :say "Setup finished."
)
if "%F_NOREBOOT%"=="1" (
  if "%REBOOT%"=="1" call :say "Restart Windows to finish the installation."
  goto :finish
)
call :restart_prompt "Aero Guest Tools: restarting to finish driver installation"
:finish
if exist "%TMPOUT%" del /f /q "%TMPOUT%" >nul 2>&1
if not "%FAILS%"=="0" exit /b 1
exit /b 0

rem ==== /check ================================================================================
:check_mode
rem Reads the media only: no Administrator check, no tool that changes anything, no log or
rem state file. The checks are the ones an install makes before it changes anything.
if not "%F_VERIFYMEDIA%"=="1" goto :check_verified
call :verify_media
if exist "%TMPOUT%" del /f /q "%TMPOUT%" >nul 2>&1
if not "%VM_RESULT%"=="0" exit /b 14
:check_verified
call :check_manifest
if not "%CM_RC%"=="0" exit /b %CM_RC%
call :preflight
if not "%PF_RC%"=="0" exit /b %PF_RC%
call :say "Validation passed: this media can be installed here. Nothing was changed."
exit /b 0

:check_manifest
rem What the manifest says must be complete and consistent (an install falls back to defaults).
set "CM_RC=0"
if not defined MANIFEST_FOUND (
  call :say "NOTE: manifest.json is missing; an install assumes signing policy test."
  goto :eof
)
if not defined M_POLICY (
  call :say "ERROR: manifest.json has no signing_policy (expected test, production or none)."
  set "CM_RC=1"
  goto :eof
)
if not "%M_POLICY_OK%"=="1" (
  call :say "ERROR: manifest.json: signing_policy %M_POLICY% is not test, production or none."
  set "CM_RC=1"
  goto :eof
)
if not defined CERTS_REQUIRED goto :eof
set "CM_EXPECT=0"
if /i "%M_POLICY%"=="test" set "CM_EXPECT=1"
if not "%CERTS_REQUIRED%"=="%CM_EXPECT%" (
  call :say "ERROR: manifest.json: certs_required does not match signing_policy %M_POLICY% (only test media require certificates)."
  set "CM_RC=1"
)
goto :eof

rem ==== checks shared by an install and /check ================================================
:preflight
rem Sets PF_RC: 0, or the exit code of the first failed check (11, 12, 13).
set "PF_RC=0"
if not defined ARCH (
  call :say "ERROR: unsupported processor architecture; this media has drivers for x86, amd64 and arm64."
  set "PF_RC=11"
  goto :eof
)
set "DRV=%MEDIA%drivers\%ARCH%"
set "INF_COUNT=0"
for /r "%DRV%" %%F in (*.inf) do set /a INF_COUNT+=1
if "%INF_COUNT%"=="0" (
  call :say "ERROR: no drivers for this machine's architecture: drivers\%ARCH% is missing or holds no INF."
  set "PF_RC=11"
  goto :eof
)
call :say "Drivers: drivers\%ARCH% (%INF_COUNT% INF files)"

if exist "%MEDIA%config\devices.cmd" call "%MEDIA%config\devices.cmd"
if not defined AERO_VIRTIO_BLK_SYS if defined AERO_VIRTIO_BLK_SERVICE set "AERO_VIRTIO_BLK_SYS=%AERO_VIRTIO_BLK_SERVICE%.sys"

call :say "Signing policy: %POLICY%%POLICY_FROM%"
set "DO_CERTS=0"
if /i "%POLICY%"=="test" set "DO_CERTS=1"
if "%F_INSTALLCERTS%"=="1" set "DO_CERTS=1"
set "CERT_COUNT=0"
for /r "%MEDIA%certs" %%F in (*.cer *.crt *.p7b) do set /a CERT_COUNT+=1
set "NEED_CERTS=0"
if /i "%POLICY%"=="test" set "NEED_CERTS=1"
if not defined F_POLICY if "%CERTS_REQUIRED%"=="1" set "NEED_CERTS=1"
if "%CERT_COUNT%"=="0" if "%NEED_CERTS%"=="1" (
  call :say "ERROR: the signing policy needs certificates but certs\ on this media holds no .cer, .crt or .p7b file."
  set "PF_RC=12"
  goto :eof
)
if "%CERT_COUNT%"=="0" if "%F_INSTALLCERTS%"=="1" call :say "WARNING: /installcerts given but certs\ holds no certificate."

rem The storage INF is looked up even with /skipstorage so uninstall.cmd can keep its package.
set "STOR_INF="
set "STOR_SYS="
if defined AERO_VIRTIO_BLK_SERVICE for /r "%DRV%" %%F in (*.inf) do if not defined STOR_INF call :inf_declares_service "%%F"
if "%F_SKIPSTORAGE%"=="1" goto :eof
if not defined AERO_VIRTIO_BLK_SERVICE (
  call :say "ERROR: config\devices.cmd is missing or does not set AERO_VIRTIO_BLK_SERVICE; cannot pre-seed the boot storage driver. Use /skipstorage to install without it."
  set "PF_RC=13"
  goto :eof
)
if not defined STOR_INF (
  call :say "ERROR: no INF under drivers\%ARCH% declares AddService = %AERO_VIRTIO_BLK_SERVICE%, the storage service named by config\devices.cmd. The media and its device contract disagree; use /skipstorage to install without the storage pre-seed."
  set "PF_RC=13"
  goto :eof
)
for %%D in ("%STOR_INF%") do set "STOR_DIR=%%~dpD"
if exist "%STOR_DIR%%AERO_VIRTIO_BLK_SYS%" set "STOR_SYS=%STOR_DIR%%AERO_VIRTIO_BLK_SYS%"
if not defined STOR_SYS for /r "%DRV%" %%F in (*.sys) do if /i "%%~nxF"=="%AERO_VIRTIO_BLK_SYS%" set "STOR_SYS=%%F"
if not defined STOR_SYS (
  call :say "ERROR: %AERO_VIRTIO_BLK_SYS% is not shipped under drivers\%ARCH%; cannot pre-seed the boot storage driver."
  set "PF_RC=13"
  goto :eof
)
call :say "Storage: service %AERO_VIRTIO_BLK_SERVICE% from %STOR_INF%"
goto :eof

rem ==== /verify-media ======================================================================
:verify_media
rem Checks the size and SHA-256 of every files[] entry of manifest.json (one key per line, as
rem the packager writes it). Hashes come from certutil, present on every Windows since 7.
set "VM_RESULT=1"
set "VM_IN=0"
set "VM_COUNT=0"
set "VM_BAD=0"
set "VM_PATH="
set "VM_SHA="
set "VM_SIZE="
if not exist "%MEDIA%manifest.json" (
  call :say "ERROR: manifest.json is missing from the media root."
  goto :eof
)
for /f "usebackq tokens=1,* delims=:	 " %%a in ("%MEDIA%manifest.json") do (
  set "MK=%%~a"
  set "MV=%%b"
  call :vm_line
)
if "%VM_COUNT%"=="0" (
  call :say "ERROR: manifest.json lists no files."
  goto :eof
)
if not "%VM_BAD%"=="0" (
  call :say "Media verification FAILED: %VM_BAD% of %VM_COUNT% files do not match manifest.json."
  goto :eof
)
call :say "Media verified: %VM_COUNT% files match manifest.json."
set "VM_RESULT=0"
goto :eof

:vm_line
if not defined MV goto :vm_line_value
set "MV=%MV:"=%"
if "%MV:~-1%"=="," set "MV=%MV:~0,-1%"
:vm_line_value
if "%VM_IN%"=="1" goto :vm_line_in
if /i not "%MK%"=="files" goto :eof
set "VM_IN=1"
if "%MV%"=="[]" set "VM_IN=2"
goto :eof
:vm_line_in
if "%MK:~0,1%"=="]" (
  set "VM_IN=2"
  goto :eof
)
if "%MK:~0,1%"=="}" goto :vm_entry
if /i "%MK%"=="path" set "VM_PATH=%MV%"
if /i "%MK%"=="sha256" set "VM_SHA=%MV%"
if /i "%MK%"=="size" set "VM_SIZE=%MV%"
goto :eof

:vm_entry
if not defined VM_PATH goto :eof
set /a VM_COUNT+=1
set "VF=%MEDIA%%VM_PATH:/=\%"
set "VM_OK=1"
if not exist "%VF%" (
  call :say "  MISSING  %VM_PATH%"
  set /a VM_BAD+=1
  goto :vm_entry_done
)
set "VZ="
for %%z in ("%VF%") do set "VZ=%%~zz"
if not "%VZ%"=="%VM_SIZE%" (
  call :say "  SIZE     %VM_PATH%: %VZ% bytes, manifest says %VM_SIZE%"
  set "VM_OK=0"
)
set "VH="
if "%VZ%"=="0" (
  set "VH=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
  goto :vm_compare
)
call certutil -hashfile "%VF%" SHA256 >"%TMPOUT%" 2>&1
for /f "usebackq skip=1 delims=" %%h in ("%TMPOUT%") do if not defined VH set "VH=%%h"
if defined VH set "VH=%VH: =%"
:vm_compare
if /i not "%VH%"=="%VM_SHA%" (
  call :say "  SHA-256  %VM_PATH%: does not match manifest.json"
  set "VM_OK=0"
)
if "%VM_OK%"=="0" set /a VM_BAD+=1
:vm_entry_done
set "VM_PATH="
set "VM_SHA="
set "VM_SIZE="
goto :eof

rem ==== manifest.json ======================================================================
:read_manifest
rem package.version, package.build_id (top-level version / build_id when there is no package
rem object), signing_policy and certs_required. The packager writes one key per line; nesting
rem is followed by the lines that open and close objects and arrays, so a "version" key of
rem any other object is never taken for the package's.
set "MANIFEST_FOUND="
set "M_POLICY="
set "M_POLICY_OK=0"
set "CERTS_REQUIRED="
set "GT_VERSION="
set "GT_BUILD_ID="
set "MF_TOP_VERSION="
set "MF_TOP_BUILD_ID="
set "MF_DEPTH=0"
set "MF_PARENT="
if not exist "%MEDIA%manifest.json" goto :read_manifest_done
set "MANIFEST_FOUND=1"
for /f "usebackq tokens=1,* delims=:	 " %%a in ("%MEDIA%manifest.json") do (
  set "MK=%%~a"
  set "MV=%%b"
  call :mf_line
)
:read_manifest_done
if not defined GT_VERSION set "GT_VERSION=%MF_TOP_VERSION%"
if not defined GT_BUILD_ID set "GT_BUILD_ID=%MF_TOP_BUILD_ID%"
if not defined GT_VERSION set "GT_VERSION=unknown"
if not defined GT_BUILD_ID set "GT_BUILD_ID=unknown"
if /i "%CERTS_REQUIRED%"=="true" set "CERTS_REQUIRED=1"
if /i "%CERTS_REQUIRED%"=="false" set "CERTS_REQUIRED=0"
if not defined M_POLICY goto :eof
call :policy_name "%M_POLICY%"
if defined PN_VALUE (
  set "M_POLICY=%PN_VALUE%"
  set "M_POLICY_OK=1"
)
goto :eof

:mf_line
if not defined MK goto :eof
if "%MK:~0,1%"=="}" (
  set /a MF_DEPTH-=1
  goto :eof
)
if "%MK:~0,1%"=="]" (
  set /a MF_DEPTH-=1
  goto :eof
)
if "%MK%"=="{" (
  set /a MF_DEPTH+=1
  goto :eof
)
if "%MK%"=="[" (
  set /a MF_DEPTH+=1
  goto :eof
)
if not defined MV goto :eof
set "MV=%MV:"=%"
if "%MV:~-1%"=="," set "MV=%MV:~0,-1%"
if not defined MV goto :eof
if "%MV%"=="{" goto :mf_open
if "%MV%"=="[" goto :mf_open
if "%MF_DEPTH%"=="1" goto :mf_top
if not "%MF_DEPTH%"=="2" goto :eof
if /i not "%MF_PARENT%"=="package" goto :eof
if /i "%MK%"=="version" if not defined GT_VERSION set "GT_VERSION=%MV%"
if /i "%MK%"=="build_id" if not defined GT_BUILD_ID set "GT_BUILD_ID=%MV%"
goto :eof
:mf_top
if /i "%MK%"=="signing_policy" if not defined M_POLICY set "M_POLICY=%MV%"
if /i "%MK%"=="certs_required" if not defined CERTS_REQUIRED set "CERTS_REQUIRED=%MV%"
if /i "%MK%"=="version" if not defined MF_TOP_VERSION set "MF_TOP_VERSION=%MV%"
if /i "%MK%"=="build_id" if not defined MF_TOP_BUILD_ID set "MF_TOP_BUILD_ID=%MV%"
goto :eof
:mf_open
if "%MF_DEPTH%"=="1" set "MF_PARENT=%MK%"
set /a MF_DEPTH+=1
goto :eof

:policy_name
rem PN_VALUE: test, production or none for a policy name or a legacy spelling; empty otherwise.
set "PN_VALUE="
if /i "%~1"=="test" set "PN_VALUE=test"
if /i "%~1"=="testsigning" set "PN_VALUE=test"
if /i "%~1"=="test-signing" set "PN_VALUE=test"
if /i "%~1"=="production" set "PN_VALUE=production"
if /i "%~1"=="prod" set "PN_VALUE=production"
if /i "%~1"=="whql" set "PN_VALUE=production"
if /i "%~1"=="none" set "PN_VALUE=none"
if /i "%~1"=="nointegritychecks" set "PN_VALUE=none"
if /i "%~1"=="no-integrity-checks" set "PN_VALUE=none"
goto :eof

:effective_policy
rem /forcesigningpolicy wins; then the manifest; test when the manifest is missing or names
rem no known policy (as older media without a signing_policy were test-signed).
set "POLICY_FROM="
if not defined F_POLICY goto :effective_policy_manifest
set "POLICY=%F_POLICY%"
set "POLICY_FROM= (/forcesigningpolicy)"
goto :eof
:effective_policy_manifest
set "POLICY=test"
if "%M_POLICY_OK%"=="1" set "POLICY=%M_POLICY%"
if "%M_POLICY_OK%"=="1" goto :eof
if not defined MANIFEST_FOUND set "POLICY_FROM= (manifest.json missing)"
if not defined MANIFEST_FOUND goto :eof
if defined M_POLICY set "POLICY_FROM= (manifest.json names unknown policy %M_POLICY%)"
if not defined M_POLICY set "POLICY_FROM= (manifest.json names none)"
goto :eof

:installed_media
rem Warns when an earlier setup ran from another build (mixed media), then records this one.
set "IM_FILE=%STATE%\installed-media.txt"
set "IM_VERSION="
set "IM_BUILD_ID="
set "IM_POLICY="
if exist "%IM_FILE%" for /f "usebackq tokens=1,* delims==" %%a in ("%IM_FILE%") do (
  if /i "%%a"=="version" set "IM_VERSION=%%b"
  if /i "%%a"=="build_id" set "IM_BUILD_ID=%%b"
  if /i "%%a"=="signing_policy" set "IM_POLICY=%%b"
)
set "IM_DIFF="
if defined IM_VERSION if /i not "%IM_VERSION%"=="%GT_VERSION%" set "IM_DIFF=%IM_DIFF% version %IM_VERSION%"
if defined IM_BUILD_ID if /i not "%IM_BUILD_ID%"=="%GT_BUILD_ID%" set "IM_DIFF=%IM_DIFF% build %IM_BUILD_ID%"
if defined IM_POLICY if /i not "%IM_POLICY%"=="%POLICY%" set "IM_DIFF=%IM_DIFF% signing policy %IM_POLICY%"
if defined IM_DIFF call :say "WARNING: an earlier setup ran from other media (%IM_DIFF% ); do not mix drivers from different builds."
>"%IM_FILE%" echo.version=%GT_VERSION%
>>"%IM_FILE%" echo.build_id=%GT_BUILD_ID%
>>"%IM_FILE%" echo.signing_policy=%POLICY%
goto :eof

rem ==== steps ==============================================================================
:install_cert
set "CF=%~1"
set "CF_NAME=%~nx1"
call :say "Certificate %CF_NAME%: adding to the Root and TrustedPublisher stores"
set "THUMBS="
call certutil -dump "%CF%" >"%TMPOUT%" 2>&1
for /f "usebackq tokens=1,* delims=:" %%a in ("%TMPOUT%") do (
  set "TK=%%a"
  set "TP=%%b"
  call :add_thumb
)
if not defined THUMBS call :say "WARNING: could not read the thumbprint of %CF_NAME%; uninstall.cmd will not remove it."
for %%S in (Root TrustedPublisher) do call :add_to_store %%S
goto :eof

:add_thumb
if /i not "%TK%"=="Cert Hash(sha1)" goto :eof
if not defined TP goto :eof
set "TP=%TP: =%"
if defined TP set "THUMBS=%THUMBS% %TP%"
goto :eof

:add_to_store
set "STORE=%~1"
set "NEW_THUMBS="
if defined THUMBS for %%T in (%THUMBS%) do call :cert_absent %%T
call :run certutil -addstore -f %STORE% "%CF%"
if not "%RUN_RC%"=="0" (
  call :say "ERROR: certutil could not add %CF_NAME% to %STORE%."
  set /a FAILS+=1
  goto :eof
)
if defined NEW_THUMBS for %%T in (%NEW_THUMBS%) do call :record "installed-certs.txt" "%STORE% %%T"
goto :eof

:cert_absent
rem Only certificates this setup added are recorded, so uninstall never removes one the user had.
call certutil -store %STORE% %1 >nul 2>&1
if not "%ERRORLEVEL%"=="0" set "NEW_THUMBS=%NEW_THUMBS% %1"
goto :eof

:inf_declares_service
rem Sets STOR_INF when the INF has "AddService = <AERO_VIRTIO_BLK_SERVICE>, ...". TYPE turns a
rem UTF-16 INF into text on Windows; comment lines start with ";".
set "IDS_FILE=%~1"
for /f "eol=; tokens=1,2 delims==,	 " %%a in ('type "%IDS_FILE%"') do if /i "%%a"=="AddService" if /i "%%~b"=="%AERO_VIRTIO_BLK_SERVICE%" set "STOR_INF=%IDS_FILE%"
goto :eof

:preseed_storage
rem Lets Windows boot from the virtio disk before the device was ever seen: a boot-start
rem service, its binary in System32\drivers, and (Windows 7) CriticalDeviceDatabase entries
rem that bind the PCI IDs to the service.
set "SVC=%AERO_VIRTIO_BLK_SERVICE%"
set "SVCKEY=HKLM\SYSTEM\CurrentControlSet\Services\%SVC%"
set "SYSDEST=%SystemRoot%\System32\drivers\%AERO_VIRTIO_BLK_SYS%"
call :say "Pre-seeding the boot storage driver %SVC%"
call :record "storage-preseeded" "service=%SVC%"
call :record "storage-preseeded" "inf=%STOR_INF%"
call reg query "%SVCKEY%" >nul 2>&1
if not "%ERRORLEVEL%"=="0" call :record "storage-preseeded" "service-created=1"
if not exist "%SYSDEST%" call :record "storage-preseeded" "sys-copied=%SYSDEST%"
call :run copy /y "%STOR_SYS%" "%SYSDEST%"
call :check_step "copy %AERO_VIRTIO_BLK_SYS% to System32\drivers"
call :run reg add "%SVCKEY%" /v Type /t REG_DWORD /d 1 /f
call :check_step "service Type"
call :run reg add "%SVCKEY%" /v Start /t REG_DWORD /d 0 /f
call :check_step "service Start"
call :run reg add "%SVCKEY%" /v ErrorControl /t REG_DWORD /d 1 /f
call :check_step "service ErrorControl"
call :run reg add "%SVCKEY%" /v Group /t REG_SZ /d "SCSI miniport" /f
call :check_step "service Group"
call :run reg add "%SVCKEY%" /v ImagePath /t REG_EXPAND_SZ /d "system32\drivers\%AERO_VIRTIO_BLK_SYS%" /f
call :check_step "service ImagePath"
call :run reg add "%SVCKEY%\Parameters\PnpInterface" /v 5 /t REG_DWORD /d 1 /f
call :check_step "service PnpInterface"
if not "%IS_WIN7%"=="1" goto :preseed_done
if not defined AERO_VIRTIO_BLK_HWIDS (
  call :say "WARNING: config\devices.cmd sets no AERO_VIRTIO_BLK_HWIDS; no CriticalDeviceDatabase entries written."
  goto :preseed_done
)
for %%h in (%AERO_VIRTIO_BLK_HWIDS%) do call :cdd_entry "%%~h"
:preseed_done
set "REBOOT=1"
goto :eof

:cdd_entry
rem Three keys per hardware ID: the ID itself and the ID with the mass-storage class code
rem appended in its two lengths (&CC_010000 class, subclass and interface; &CC_0100 class and
rem subclass), as virt-v2v does, so the match holds whichever form Windows 7 looks up.
set "CDD=%~1"
set "CDD=%CDD:\=#%"
call :cdd_key "%CDD%"
call :cdd_key "%CDD%&CC_010000"
call :cdd_key "%CDD%&CC_0100"
goto :eof

:cdd_key
set "CDD_NAME=%~1"
set "CDDKEY=%CDD_ROOT%\%CDD_NAME%"
call reg query "%CDDKEY%" >nul 2>&1
if not "%ERRORLEVEL%"=="0" call :record "storage-preseeded" "cdd=%CDD_NAME%"
call :run reg add "%CDDKEY%" /v Service /t REG_SZ /d "%SVC%" /f
call :check_step "CriticalDeviceDatabase %CDD_NAME% Service"
rem {4D36E97B-...} is the SCSIAdapter setup class that storage miniports install under.
call :run reg add "%CDDKEY%" /v ClassGUID /t REG_SZ /d "{4D36E97B-E325-11CE-BFC1-08002BE10318}" /f
call :check_step "CriticalDeviceDatabase %CDD_NAME% ClassGUID"
call :run reg add "%CDDKEY%" /v Class /t REG_SZ /d "SCSIAdapter" /f
call :check_step "CriticalDeviceDatabase %CDD_NAME% Class"
goto :eof

:install_inf
set "INF=%~1"
set "INF_NAME=%~nx1"
set "INF_KIND=driver"
if /i "%INF%"=="%STOR_INF%" set "INF_KIND=boot-storage"
if "%PNP_NEW%"=="1" goto :install_inf_new
if "%F_STAGEONLY%"=="1" (
  call :run pnputil -a "%INF%"
) else (
  call :run pnputil -i -a "%INF%"
)
goto :install_inf_result
:install_inf_new
if "%F_STAGEONLY%"=="1" (
  call :run pnputil /add-driver "%INF%"
) else (
  call :run pnputil /add-driver "%INF%" /install
)
:install_inf_result
if "%DRYRUN%"=="1" goto :eof
set "PUBLISHED="
for /f "usebackq tokens=1,* delims=:" %%a in ("%TMPOUT%") do (
  set "PL=%%b"
  call :published_name
)
if "%RUN_RC%"=="3010" set "REBOOT=1"
if defined PUBLISHED (
  call :say "Driver %INF_NAME%: installed as%PUBLISHED%"
  goto :eof
)
if "%RUN_RC%"=="0" (
  call :say "WARNING: pnputil reported success for %INF_NAME% but named no published oem INF; it will not be removed by uninstall.cmd."
  goto :eof
)
call :say "ERROR: pnputil failed for %INF_NAME% (exit code %RUN_RC%); see the log."
set /a FAILS+=1
goto :eof

:published_name
rem pnputil prints "Published name : oem7.inf" (7/8) or "Published Name: oem7.inf" (10+),
rem localised on other languages; the oem*.inf value itself is the same everywhere.
if not defined PL goto :eof
set "PL=%PL:"=%"
set "PL=%PL: =%"
set "PL=%PL:	=%"
if not defined PL goto :eof
if /i not "%PL:~0,3%"=="oem" goto :eof
if /i not "%PL:~-4%"==".inf" goto :eof
set "PUBLISHED=%PUBLISHED% %PL%"
call :record "installed-packages.txt" "%PL% %INF_KIND% %INF_NAME%"
goto :eof

:signature_mode
rem 64-bit Windows enforces kernel driver signatures; 32-bit Windows is left alone.
rem /nointegritychecks: integrity checks off (wins over the policy). Otherwise test signing for
rem test media or /testsigning, unless /notestsigning, or integrity checks are already off.
if "%ARCH%"=="x86" (
  if "%F_TESTSIGNING%%F_NOINTEGRITY%"=="00" goto :eof
  call :say "32-bit Windows does not enforce driver signatures: the signature mode is left as it is."
  goto :eof
)
set "WANT_NI=%F_NOINTEGRITY%"
set "WANT_TS=0"
if /i "%POLICY%"=="test" if "%WANT_NI%"=="0" set "WANT_TS=1"
if "%F_TESTSIGNING%"=="1" set "WANT_TS=1"
if "%F_NOTESTSIGNING%"=="1" (
  if "%WANT_TS%"=="1" call :say "Test signing left as it is (/notestsigning)."
  set "WANT_TS=0"
)
if "%WANT_NI%%WANT_TS%"=="00" goto :eof
set "TS_STATE="
set "NI_STATE="
call bcdedit /enum {current} >"%TMPOUT%" 2>&1
for /f "usebackq tokens=1,2" %%a in ("%TMPOUT%") do (
  if /i "%%a"=="testsigning" set "TS_STATE=%%b"
  if /i "%%a"=="nointegritychecks" set "NI_STATE=%%b"
)
if "%WANT_NI%"=="1" goto :nointegrity
if /i "%TS_STATE%"=="Yes" (
  call :say "Test signing is already on."
  goto :eof
)
if /i "%NI_STATE%"=="Yes" if "%F_TESTSIGNING%"=="0" (
  call :say "Integrity checks are off, so test signing is not needed."
  goto :eof
)
if "%F_FORCE%"=="1" goto :ts_enable
if "%DRYRUN%"=="1" goto :ts_enable
if "%F_TESTSIGNING%"=="1" goto :ts_enable
call :ask "The drivers on this media are test-signed. Turn on Windows test signing (needs a restart)?"
if "%ANSWER%"=="1" goto :ts_enable
call :say "Test signing left off: the test-signed drivers will not load until it is on."
goto :eof
:ts_enable
call :run bcdedit /set {current} testsigning on
if not "%RUN_RC%"=="0" (
  call :say "ERROR: bcdedit could not turn on test signing (Secure Boot on? turn it off in the VM firmware)."
  set /a FAILS+=1
  goto :eof
)
if "%DRYRUN%"=="1" goto :eof
call :say "Test signing turned on."
call :record "testsigning-enabled-by-setup" "testsigning was off; setup.cmd turned it on"
set "REBOOT=1"
goto :eof
:nointegrity
if /i "%NI_STATE%"=="Yes" (
  call :say "Integrity checks are already off."
  goto :eof
)
call :say "Turning driver integrity checks off (/nointegritychecks; not recommended: any unsigned driver will load)."
call :run bcdedit /set {current} nointegritychecks on
if not "%RUN_RC%"=="0" (
  call :say "ERROR: bcdedit could not turn integrity checks off (Secure Boot on? turn it off in the VM firmware)."
  set /a FAILS+=1
  goto :eof
)
if "%DRYRUN%"=="1" goto :eof
call :record "nointegritychecks-enabled-by-setup" "nointegritychecks was off; setup.cmd turned it on"
set "REBOOT=1"
goto :eof

rem ==== helpers ============================================================================
:restart_prompt
rem Asked at the end of an interactive run (never under /force, /quiet or /noreboot); the
rem default answer does nothing.
if "%REBOOT%"=="1" (
  call :say "A restart is needed to finish."
) else (
  call :say "Restart or shut down before switching the VM's devices to virtio."
)
set "REPLY="
set /p "REPLY=Restart now (R), shut down (S) or neither (N)? [r/s/N] "
if /i "%REPLY:~0,1%"=="r" (
  call :run shutdown /r /t 10 /c "%~1"
  goto :eof
)
if /i "%REPLY:~0,1%"=="s" (
  call :run shutdown /s /t 10 /c "%~1"
  goto :eof
)
if "%REBOOT%"=="1" call :say "Restart Windows later to finish."
goto :eof

:run
rem Runs one system-changing command, or prints it under /dryrun. Output goes to the log.
if "%DRYRUN%"=="1" goto :run_dry
if defined LOGFILE >>"%LOGFILE%" echo.run: %*
call %* >"%TMPOUT%" 2>&1
set "RUN_RC=%ERRORLEVEL%"
if defined LOGFILE type "%TMPOUT%" >>"%LOGFILE%"
if defined LOGFILE >>"%LOGFILE%" echo.  [exit code %RUN_RC%]
goto :eof
:run_dry
echo.[dryrun] %*
set "RUN_RC=0"
if exist "%TMPOUT%" del /f /q "%TMPOUT%" >nul 2>&1
goto :eof

:check_step
if "%RUN_RC%"=="0" goto :eof
call :say "ERROR: %~1 failed (exit code %RUN_RC%)."
set /a FAILS+=1
goto :eof

:record
rem Appends a line to a state file under %STATE% unless it is already there.
if "%DRYRUN%"=="1" goto :eof
set "REC_FILE=%STATE%\%~1"
set "REC_LINE=%~2"
set "REC_FOUND=0"
if exist "%REC_FILE%" for /f "usebackq delims=" %%l in ("%REC_FILE%") do if /i "%%l"=="%REC_LINE%" set "REC_FOUND=1"
if "%REC_FOUND%"=="1" goto :eof
setlocal EnableDelayedExpansion
>>"!REC_FILE!" echo.!REC_LINE!
endlocal
goto :eof

:say
set "SAY_MSG=%~1"
setlocal EnableDelayedExpansion
echo.!SAY_MSG!
if defined LOGFILE >>"!LOGFILE!" echo.!SAY_MSG!
endlocal
goto :eof

:log_only
set "SAY_MSG=%~1"
setlocal EnableDelayedExpansion
if defined LOGFILE >>"!LOGFILE!" echo.!SAY_MSG!
endlocal
goto :eof

:ask
set "ANSWER=0"
set "REPLY="
set /p "REPLY=%~1 [y/N] "
if /i "%REPLY:~0,1%"=="y" set "ANSWER=1"
goto :eof

:detect_arch
set "ARCH_RAW=%PROCESSOR_ARCHITECTURE%"
if defined PROCESSOR_ARCHITEW6432 set "ARCH_RAW=%PROCESSOR_ARCHITEW6432%"
set "ARCH="
if /i "%ARCH_RAW%"=="AMD64" set "ARCH=amd64"
if /i "%ARCH_RAW%"=="x86" set "ARCH=x86"
if /i "%ARCH_RAW%"=="ARM64" set "ARCH=arm64"
goto :eof

:detect_os
rem "Microsoft Windows [Version 6.1.7601]" on Windows; the last word is the version.
set "OS_VER="
for /f "delims=" %%v in ('ver') do set "OS_LINE=%%v"
set "OS_LINE=%OS_LINE:[= %"
set "OS_LINE=%OS_LINE:]= %"
for %%t in (%OS_LINE%) do set "OS_VER=%%t"
set "OS_MAJOR=0"
set "OS_MINOR=0"
for /f "tokens=1,2 delims=." %%a in ("%OS_VER%") do (
  set "OS_MAJOR=%%a"
  set "OS_MINOR=%%b"
)
set "IS_WIN7=0"
if "%OS_MAJOR%.%OS_MINOR%"=="6.1" set "IS_WIN7=1"
set "PNP_NEW=0"
if %OS_MAJOR% GEQ 10 set "PNP_NEW=1"
goto :eof

rem ==== options ============================================================================
:parse_args
if "%~1"=="" goto :eof
set "ARG=%~1"
if "%ARG:~0,1%"=="-" set "ARG=/%ARG:~1%"
if /i "%ARG%"=="/force" (set "F_FORCE=1" & goto :parse_next)
if /i "%ARG%"=="/quiet" (set "F_FORCE=1" & goto :parse_next)
if /i "%ARG%"=="/check" (set "F_CHECK=1" & goto :parse_next)
if /i "%ARG%"=="/validate" (set "F_CHECK=1" & goto :parse_next)
if /i "%ARG%"=="/stageonly" (set "F_STAGEONLY=1" & goto :parse_next)
if /i "%ARG%"=="/stage-only" (set "F_STAGEONLY=1" & goto :parse_next)
if /i "%ARG%"=="/testsigning" (set "F_TESTSIGNING=1" & goto :parse_next)
if /i "%ARG%"=="/forcetestsigning" (set "F_TESTSIGNING=1" & goto :parse_next)
if /i "%ARG%"=="/force-testsigning" (set "F_TESTSIGNING=1" & goto :parse_next)
if /i "%ARG%"=="/notestsigning" (set "F_NOTESTSIGNING=1" & goto :parse_next)
if /i "%ARG%"=="/no-testsigning" (set "F_NOTESTSIGNING=1" & goto :parse_next)
if /i "%ARG%"=="/nointegritychecks" (set "F_NOINTEGRITY=1" & goto :parse_next)
if /i "%ARG%"=="/forcenointegritychecks" (set "F_NOINTEGRITY=1" & goto :parse_next)
if /i "%ARG%"=="/no-integrity-checks" (set "F_NOINTEGRITY=1" & goto :parse_next)
if /i "%ARG%"=="/installcerts" (set "F_INSTALLCERTS=1" & goto :parse_next)
if /i "%ARG%"=="/install-certs" (set "F_INSTALLCERTS=1" & goto :parse_next)
if /i "%ARG%"=="/noreboot" (set "F_NOREBOOT=1" & goto :parse_next)
if /i "%ARG%"=="/no-reboot" (set "F_NOREBOOT=1" & goto :parse_next)
if /i "%ARG%"=="/skipstorage" (set "F_SKIPSTORAGE=1" & goto :parse_next)
if /i "%ARG%"=="/skip-storage" (set "F_SKIPSTORAGE=1" & goto :parse_next)
if /i "%ARG%"=="/verify-media" (set "F_VERIFYMEDIA=1" & goto :parse_next)
if /i "%ARG%"=="/verifymedia" (set "F_VERIFYMEDIA=1" & goto :parse_next)
if /i "%ARG%"=="/dryrun" (set "DRYRUN=1" & goto :parse_next)
if /i "%ARG%"=="/?" (set "HELP=1" & goto :parse_next)
if /i "%ARG%"=="/h" (set "HELP=1" & goto :parse_next)
if /i "%ARG%"=="/help" (set "HELP=1" & goto :parse_next)
if /i "%ARG%"=="/-help" (set "HELP=1" & goto :parse_next)
if /i not "%ARG:~0,20%"=="/forcesigningpolicy:" goto :parse_bad
call :policy_name "%ARG:~20%"
if not defined PN_VALUE goto :parse_bad
set "F_POLICY=%PN_VALUE%"
goto :parse_next
:parse_bad
if defined BADARG goto :parse_next
set "BADARG=%~1"
set "BADOPT=%ARG%"
:parse_next
shift
goto :parse_args

:usage_bad
set "SG_LIST=/force /quiet /check /validate /stageonly /stage-only /testsigning /forcetestsigning /force-testsigning /notestsigning /no-testsigning /nointegritychecks /forcenointegritychecks /no-integrity-checks /forcesigningpolicy:none /forcesigningpolicy:test /forcesigningpolicy:production /installcerts /install-certs /noreboot /no-reboot /skipstorage /skip-storage /verify-media /verifymedia /dryrun /help"
call :suggest
if defined SUGGEST (
  call :say "setup.cmd: unknown option %BADARG%; did you mean %SUGGEST%?"
) else (
  call :say "setup.cmd: unknown option %BADARG%"
)
call :usage
exit /b 2
:usage_ok
call :usage
exit /b 0
:usage
echo.
echo Usage: setup.cmd [options]   (run as Administrator; /check does not need it)
echo.
echo   /force, /quiet       no prompts and no restart (implies /noreboot); test signing is
echo                        turned on when the media is test-signed, unless /notestsigning
echo   /check, /validate    validate the media for this machine only: no changes, no Administrator
echo   /stageonly           add the drivers to the driver store without installing them (/stage-only)
echo   /skipstorage         do not pre-seed the boot storage driver (/skip-storage)
echo   /installcerts        install certs\ even when the signing policy does not need them (/install-certs)
echo   /testsigning         turn test signing on without asking (x64, ARM64)
echo                        (/forcetestsigning, /force-testsigning)
echo   /notestsigning       leave test signing as it is (/no-testsigning)
echo   /nointegritychecks   turn driver integrity checks off instead (x64, ARM64; not recommended)
echo                        (/forcenointegritychecks, /no-integrity-checks)
echo   /forcesigningpolicy:none^|test^|production
echo                        use this signing policy instead of manifest.json's
echo                        (also testsigning = test, nointegritychecks = none)
echo   /noreboot            never restart or shut down, never ask to (/no-reboot)
echo   /verify-media        first check every file against manifest.json (/verifymedia);
echo                        with /check: only that and the checks, then exit
echo   /dryrun              print every system-changing command instead of running it
echo.
echo Exit codes: 0 done (or media valid), 1 a step failed or cancelled, 2 bad option,
echo   10 not Administrator, 11 no drivers for this architecture, 12 certificates required
echo   but missing, 13 storage driver does not match config\devices.cmd, 14 media verification failed.
echo State and log: %SystemDrive%\AeroGuestTools\
goto :eof

:suggest
rem SUGGEST: the option of the list SG_LIST closest to BADOPT: the one sharing the most characters
rem at the start plus at the end (case-blind), when those cover more than half of BADOPT and
rem at least 3 characters; none otherwise. The comparisons are spelled out for each length
rem up to 32 because a loop over characters is very slow in cmd.
set "SUGGEST="
set "SG_BEST=0"
set "SG_ALEN=0"
:suggest_len
call set "SG_C=%%BADOPT:~%SG_ALEN%,1%%"
if not defined SG_C goto :suggest_scan
set /a SG_ALEN+=1
goto :suggest_len
:suggest_scan
for %%o in (%SG_LIST%) do call :suggest_one %%o
goto :eof

:suggest_one
set "SG_O=%~1"
set "SG_P=0"
set "SG_Q=0"
if /i "%BADOPT:~0,1%"=="%SG_O:~0,1%" set "SG_P=1"
if /i "%BADOPT:~0,2%"=="%SG_O:~0,2%" set "SG_P=2"
if /i "%BADOPT:~0,3%"=="%SG_O:~0,3%" set "SG_P=3"
if /i "%BADOPT:~0,4%"=="%SG_O:~0,4%" set "SG_P=4"
if /i "%BADOPT:~0,5%"=="%SG_O:~0,5%" set "SG_P=5"
if /i "%BADOPT:~0,6%"=="%SG_O:~0,6%" set "SG_P=6"
if /i "%BADOPT:~0,7%"=="%SG_O:~0,7%" set "SG_P=7"
if /i "%BADOPT:~0,8%"=="%SG_O:~0,8%" set "SG_P=8"
if /i "%BADOPT:~0,9%"=="%SG_O:~0,9%" set "SG_P=9"
if /i "%BADOPT:~0,10%"=="%SG_O:~0,10%" set "SG_P=10"
if /i "%BADOPT:~0,11%"=="%SG_O:~0,11%" set "SG_P=11"
if /i "%BADOPT:~0,12%"=="%SG_O:~0,12%" set "SG_P=12"
if /i "%BADOPT:~0,13%"=="%SG_O:~0,13%" set "SG_P=13"
if /i "%BADOPT:~0,14%"=="%SG_O:~0,14%" set "SG_P=14"
if /i "%BADOPT:~0,15%"=="%SG_O:~0,15%" set "SG_P=15"
if /i "%BADOPT:~0,16%"=="%SG_O:~0,16%" set "SG_P=16"
if /i "%BADOPT:~0,17%"=="%SG_O:~0,17%" set "SG_P=17"
if /i "%BADOPT:~0,18%"=="%SG_O:~0,18%" set "SG_P=18"
if /i "%BADOPT:~0,19%"=="%SG_O:~0,19%" set "SG_P=19"
if /i "%BADOPT:~0,20%"=="%SG_O:~0,20%" set "SG_P=20"
if /i "%BADOPT:~0,21%"=="%SG_O:~0,21%" set "SG_P=21"
if /i "%BADOPT:~0,22%"=="%SG_O:~0,22%" set "SG_P=22"
if /i "%BADOPT:~0,23%"=="%SG_O:~0,23%" set "SG_P=23"
if /i "%BADOPT:~0,24%"=="%SG_O:~0,24%" set "SG_P=24"
if /i "%BADOPT:~0,25%"=="%SG_O:~0,25%" set "SG_P=25"
if /i "%BADOPT:~0,26%"=="%SG_O:~0,26%" set "SG_P=26"
if /i "%BADOPT:~0,27%"=="%SG_O:~0,27%" set "SG_P=27"
if /i "%BADOPT:~0,28%"=="%SG_O:~0,28%" set "SG_P=28"
if /i "%BADOPT:~0,29%"=="%SG_O:~0,29%" set "SG_P=29"
if /i "%BADOPT:~0,30%"=="%SG_O:~0,30%" set "SG_P=30"
if /i "%BADOPT:~0,31%"=="%SG_O:~0,31%" set "SG_P=31"
if /i "%BADOPT:~0,32%"=="%SG_O:~0,32%" set "SG_P=32"
if /i "%BADOPT:~-1%"=="%SG_O:~-1%" set "SG_Q=1"
if /i "%BADOPT:~-2%"=="%SG_O:~-2%" set "SG_Q=2"
if /i "%BADOPT:~-3%"=="%SG_O:~-3%" set "SG_Q=3"
if /i "%BADOPT:~-4%"=="%SG_O:~-4%" set "SG_Q=4"
if /i "%BADOPT:~-5%"=="%SG_O:~-5%" set "SG_Q=5"
if /i "%BADOPT:~-6%"=="%SG_O:~-6%" set "SG_Q=6"
if /i "%BADOPT:~-7%"=="%SG_O:~-7%" set "SG_Q=7"
if /i "%BADOPT:~-8%"=="%SG_O:~-8%" set "SG_Q=8"
if /i "%BADOPT:~-9%"=="%SG_O:~-9%" set "SG_Q=9"
if /i "%BADOPT:~-10%"=="%SG_O:~-10%" set "SG_Q=10"
if /i "%BADOPT:~-11%"=="%SG_O:~-11%" set "SG_Q=11"
if /i "%BADOPT:~-12%"=="%SG_O:~-12%" set "SG_Q=12"
if /i "%BADOPT:~-13%"=="%SG_O:~-13%" set "SG_Q=13"
if /i "%BADOPT:~-14%"=="%SG_O:~-14%" set "SG_Q=14"
if /i "%BADOPT:~-15%"=="%SG_O:~-15%" set "SG_Q=15"
if /i "%BADOPT:~-16%"=="%SG_O:~-16%" set "SG_Q=16"
if /i "%BADOPT:~-17%"=="%SG_O:~-17%" set "SG_Q=17"
if /i "%BADOPT:~-18%"=="%SG_O:~-18%" set "SG_Q=18"
if /i "%BADOPT:~-19%"=="%SG_O:~-19%" set "SG_Q=19"
if /i "%BADOPT:~-20%"=="%SG_O:~-20%" set "SG_Q=20"
if /i "%BADOPT:~-21%"=="%SG_O:~-21%" set "SG_Q=21"
if /i "%BADOPT:~-22%"=="%SG_O:~-22%" set "SG_Q=22"
if /i "%BADOPT:~-23%"=="%SG_O:~-23%" set "SG_Q=23"
if /i "%BADOPT:~-24%"=="%SG_O:~-24%" set "SG_Q=24"
if /i "%BADOPT:~-25%"=="%SG_O:~-25%" set "SG_Q=25"
if /i "%BADOPT:~-26%"=="%SG_O:~-26%" set "SG_Q=26"
if /i "%BADOPT:~-27%"=="%SG_O:~-27%" set "SG_Q=27"
if /i "%BADOPT:~-28%"=="%SG_O:~-28%" set "SG_Q=28"
if /i "%BADOPT:~-29%"=="%SG_O:~-29%" set "SG_Q=29"
if /i "%BADOPT:~-30%"=="%SG_O:~-30%" set "SG_Q=30"
if /i "%BADOPT:~-31%"=="%SG_O:~-31%" set "SG_Q=31"
if /i "%BADOPT:~-32%"=="%SG_O:~-32%" set "SG_Q=32"
set /a SG_SCORE=SG_P+SG_Q
if %SG_SCORE% GTR %SG_ALEN% set "SG_SCORE=%SG_ALEN%"
set /a SG_TWICE=SG_SCORE*2
if %SG_SCORE% LSS 3 goto :eof
if %SG_TWICE% LEQ %SG_ALEN% goto :eof
if %SG_SCORE% LEQ %SG_BEST% goto :eof
set "SG_BEST=%SG_SCORE%"
set "SUGGEST=%SG_O%"
goto :eof

