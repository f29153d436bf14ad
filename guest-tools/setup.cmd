@echo off
rem Aero Guest Tools: installs the drivers on this media into the running Windows.
rem Windows 7 SP1 and later, x86 / x64 / ARM64. Plain cmd: no PowerShell is needed to install.
rem Usage and exit codes: setup.cmd /?   Documentation: README.md beside this file.
rem
rem Written for real cmd.exe and also run by the project's tests under Wine's cmd, so it keeps
rem to constructs both handle: one level of FOR per loop, no !var:a=b! substitutions, no
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
set "LOGFILE="
set "FAILS=0"
set "REBOOT=0"

set "F_FORCE=0"
set "F_QUIET=0"
set "F_STAGEONLY=0"
set "F_SKIPSTORAGE=0"
set "F_INSTALLCERTS=0"
set "F_TESTSIGNING=0"
set "F_NOTESTSIGNING=0"
set "F_NOREBOOT=0"
set "F_VERIFYMEDIA=0"
set "DRYRUN=0"
set "BADARG="
set "HELP=0"
call :parse_args %*
if "%HELP%"=="1" goto :usage_ok
if defined BADARG goto :usage_bad
if "%F_QUIET%"=="1" set "F_FORCE=1"
if "%F_QUIET%"=="1" set "F_NOREBOOT=1"

call :detect_arch
call :detect_os
call :read_policy

echo Aero Guest Tools setup
call :say "Media:   %MEDIA%"
call :say "Windows: %OS_VER% (%ARCH_RAW%)"
if "%DRYRUN%"=="1" call :say "Dry run: system-changing commands are printed, not run."

if "%F_VERIFYMEDIA%"=="1" goto :verify_media_only

rem ---- checks: all of them pass before anything is changed -----------------------------
rem fltmc needs elevation; it fails with a negative HRESULT otherwise, so compare with 0.
call fltmc >nul 2>&1
if "%ERRORLEVEL%"=="0" goto :admin_ok
if "%DRYRUN%"=="1" (
  call :say "WARNING: not running as Administrator; a real run would stop here with exit code 10."
  goto :admin_ok
)
call :say "ERROR: setup.cmd must run as Administrator (right-click, Run as administrator)."
exit /b 10
:admin_ok

if not defined ARCH (
  call :say "ERROR: unsupported processor architecture; this media has drivers for x86, amd64 and arm64."
  exit /b 11
)
set "DRV=%MEDIA%drivers\%ARCH%"
set "INF_COUNT=0"
for /r "%DRV%" %%F in (*.inf) do set /a INF_COUNT+=1
if "%INF_COUNT%"=="0" (
  call :say "ERROR: no drivers for this machine's architecture: drivers\%ARCH% is missing or holds no INF."
  exit /b 11
)
call :say "Drivers: drivers\%ARCH% (%INF_COUNT% INF files)"

if exist "%MEDIA%config\devices.cmd" call "%MEDIA%config\devices.cmd"
if not defined AERO_VIRTIO_BLK_SYS if defined AERO_VIRTIO_BLK_SERVICE set "AERO_VIRTIO_BLK_SYS=%AERO_VIRTIO_BLK_SERVICE%.sys"

call :say "Signing policy: %POLICY%"
set "DO_CERTS=0"
if /i "%POLICY%"=="test" set "DO_CERTS=1"
if "%F_INSTALLCERTS%"=="1" set "DO_CERTS=1"
set "CERT_COUNT=0"
for /r "%MEDIA%certs" %%F in (*.cer *.crt *.p7b) do set /a CERT_COUNT+=1
set "NEED_CERTS=0"
if /i "%POLICY%"=="test" set "NEED_CERTS=1"
if /i "%CERTS_REQUIRED%"=="true" set "NEED_CERTS=1"
if "%CERT_COUNT%"=="0" if "%NEED_CERTS%"=="1" (
  call :say "ERROR: the signing policy needs certificates but certs\ on this media holds no .cer, .crt or .p7b file."
  exit /b 12
)
if "%CERT_COUNT%"=="0" if "%F_INSTALLCERTS%"=="1" call :say "WARNING: /installcerts given but certs\ holds no certificate."

rem The storage INF is looked up even with /skipstorage so uninstall.cmd can keep its package.
set "STOR_INF="
set "STOR_SYS="
if defined AERO_VIRTIO_BLK_SERVICE for /r "%DRV%" %%F in (*.inf) do if not defined STOR_INF call :inf_declares_service "%%F"
if "%F_SKIPSTORAGE%"=="1" goto :storage_checked
if not defined AERO_VIRTIO_BLK_SERVICE (
  call :say "ERROR: config\devices.cmd is missing or does not set AERO_VIRTIO_BLK_SERVICE; cannot pre-seed the boot storage driver. Use /skipstorage to install without it."
  exit /b 13
)
if not defined STOR_INF (
  call :say "ERROR: no INF under drivers\%ARCH% declares AddService = %AERO_VIRTIO_BLK_SERVICE%, the storage service named by config\devices.cmd. The media and its device contract disagree; use /skipstorage to install without the storage pre-seed."
  exit /b 13
)
for %%D in ("%STOR_INF%") do set "STOR_DIR=%%~dpD"
if exist "%STOR_DIR%%AERO_VIRTIO_BLK_SYS%" set "STOR_SYS=%STOR_DIR%%AERO_VIRTIO_BLK_SYS%"
if not defined STOR_SYS for /r "%DRV%" %%F in (*.sys) do if /i "%%~nxF"=="%AERO_VIRTIO_BLK_SYS%" set "STOR_SYS=%%F"
if not defined STOR_SYS (
  call :say "ERROR: %AERO_VIRTIO_BLK_SYS% is not shipped under drivers\%ARCH%; cannot pre-seed the boot storage driver."
  exit /b 13
)
call :say "Storage: service %AERO_VIRTIO_BLK_SERVICE% from %STOR_INF%"
:storage_checked

rem Test signing: offered on 64-bit Windows when the policy is test, or asked for by /testsigning.
set "WANT_TS=0"
if /i "%POLICY%"=="test" if not "%ARCH%"=="x86" set "WANT_TS=1"
if "%F_TESTSIGNING%"=="1" set "WANT_TS=1"
if "%F_NOTESTSIGNING%"=="1" set "WANT_TS=0"

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
call :log_only "media=%MEDIA% arch=%ARCH% os=%OS_VER% policy=%POLICY% certs_required=%CERTS_REQUIRED%"
:no_state

if "%DO_CERTS%"=="1" for /r "%MEDIA%certs" %%F in (*.cer *.crt *.p7b) do call :install_cert "%%F"

if "%F_SKIPSTORAGE%"=="1" (
  call :say "Skipping the boot storage pre-seed (/skipstorage)."
) else (
  call :preseed_storage
)

for /r "%DRV%" %%F in (*.inf) do call :install_inf "%%F"

if "%WANT_TS%"=="1" call :test_signing

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
if "%DRYRUN%"=="1" goto :finish
if "%REBOOT%"=="0" goto :finish
if "%F_NOREBOOT%"=="1" (
  call :say "Restart Windows to finish the installation."
  goto :finish
)
if "%F_FORCE%"=="1" goto :do_reboot
call :ask "Restart Windows now to finish the installation?"
if not "%ANSWER%"=="1" goto :finish
:do_reboot
call :run shutdown /r /t 10 /c "Aero Guest Tools: restarting to finish driver installation"
:finish
if exist "%TMPOUT%" del /f /q "%TMPOUT%" >nul 2>&1
if not "%FAILS%"=="0" exit /b 1
exit /b 0

rem ==== /verify-media ======================================================================
:verify_media_only
call :verify_media
if "%VM_RESULT%"=="0" exit /b 0
exit /b 14

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
set "CDD=%~1"
set "CDD=%CDD:\=#%"
set "CDDKEY=HKLM\SYSTEM\CurrentControlSet\Control\CriticalDeviceDatabase\%CDD%"
call reg query "%CDDKEY%" >nul 2>&1
if not "%ERRORLEVEL%"=="0" call :record "storage-preseeded" "cdd=%CDD%"
call :run reg add "%CDDKEY%" /v Service /t REG_SZ /d "%SVC%" /f
call :check_step "CriticalDeviceDatabase %CDD%"
rem {4D36E97B-...} is the SCSIAdapter setup class that storage miniports install under.
call :run reg add "%CDDKEY%" /v ClassGUID /t REG_SZ /d "{4D36E97B-E325-11CE-BFC1-08002BE10318}" /f
call :check_step "CriticalDeviceDatabase %CDD%"
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

:test_signing
set "TS_STATE="
call bcdedit /enum {current} >"%TMPOUT%" 2>&1
for /f "usebackq tokens=1,2" %%a in ("%TMPOUT%") do if /i "%%a"=="testsigning" set "TS_STATE=%%b"
if /i "%TS_STATE%"=="Yes" (
  call :say "Test signing is already on."
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

rem ==== helpers ============================================================================
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

:read_policy
rem signing_policy and certs_required from manifest.json ("key": value, one per line).
set "POLICY="
set "CERTS_REQUIRED="
if not exist "%MEDIA%manifest.json" goto :read_policy_done
for /f "usebackq tokens=1,* delims=:	 " %%a in ("%MEDIA%manifest.json") do (
  if /i "%%~a"=="signing_policy" if not defined POLICY set "POLICY=%%b"
  if /i "%%~a"=="certs_required" if not defined CERTS_REQUIRED set "CERTS_REQUIRED=%%b"
)
if defined POLICY set "POLICY=%POLICY:"=%"
if defined POLICY set "POLICY=%POLICY:,=%"
if defined CERTS_REQUIRED set "CERTS_REQUIRED=%CERTS_REQUIRED:,=%"
:read_policy_done
if not defined POLICY set "POLICY=unknown"
if /i "%POLICY%"=="testsigning" set "POLICY=test"
if /i "%POLICY%"=="test-signing" set "POLICY=test"
if /i "%POLICY%"=="prod" set "POLICY=production"
if /i "%POLICY%"=="whql" set "POLICY=production"
if /i "%POLICY%"=="nointegritychecks" set "POLICY=none"
goto :eof

:parse_args
if "%~1"=="" goto :eof
set "ARG=%~1"
if "%ARG:~0,1%"=="-" set "ARG=/%ARG:~1%"
if /i "%ARG%"=="/force" (set "F_FORCE=1" & goto :parse_next)
if /i "%ARG%"=="/quiet" (set "F_QUIET=1" & goto :parse_next)
if /i "%ARG%"=="/stageonly" (set "F_STAGEONLY=1" & goto :parse_next)
if /i "%ARG%"=="/skipstorage" (set "F_SKIPSTORAGE=1" & goto :parse_next)
if /i "%ARG%"=="/installcerts" (set "F_INSTALLCERTS=1" & goto :parse_next)
if /i "%ARG%"=="/testsigning" (set "F_TESTSIGNING=1" & goto :parse_next)
if /i "%ARG%"=="/notestsigning" (set "F_NOTESTSIGNING=1" & goto :parse_next)
if /i "%ARG%"=="/noreboot" (set "F_NOREBOOT=1" & goto :parse_next)
if /i "%ARG%"=="/verify-media" (set "F_VERIFYMEDIA=1" & goto :parse_next)
if /i "%ARG%"=="/dryrun" (set "DRYRUN=1" & goto :parse_next)
if /i "%ARG%"=="/?" (set "HELP=1" & goto :parse_next)
if /i "%ARG%"=="/h" (set "HELP=1" & goto :parse_next)
if /i "%ARG%"=="/help" (set "HELP=1" & goto :parse_next)
if not defined BADARG set "BADARG=%ARG%"
:parse_next
shift
goto :parse_args

:usage_bad
echo setup.cmd: unknown option %BADARG%
call :usage
exit /b 2
:usage_ok
call :usage
exit /b 0
:usage
echo.
echo Usage: setup.cmd [options]   (run as Administrator)
echo.
echo   /force          no prompts (test signing is turned on when the policy asks for it)
echo   /quiet          /force and /noreboot
echo   /stageonly      add the drivers to the driver store without installing them
echo   /skipstorage    do not pre-seed the boot storage driver
echo   /installcerts   install certs\ even when the signing policy does not ask for it
echo   /testsigning    turn on test signing; /notestsigning never touches it
echo   /noreboot       never restart Windows
echo   /verify-media   only check every file against manifest.json, then exit
echo   /dryrun         print every system-changing command instead of running it
echo.
echo Exit codes: 0 done, 1 a step failed or cancelled, 2 bad option, 10 not Administrator,
echo   11 no drivers for this architecture, 12 certificates required but missing,
echo   13 storage driver does not match config\devices.cmd, 14 media verification failed.
echo State and log: %SystemDrive%\AeroGuestTools\
goto :eof
