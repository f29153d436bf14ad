@echo off
rem Aero Guest Tools: removes what setup.cmd recorded under %SystemDrive%\AeroGuestTools\.
rem Driver packages, the certificates it added, test signing if setup turned it on; the boot
rem storage pre-seed and storage driver package only with /cleanupstorage.
rem Usage and exit codes: uninstall.cmd /?   Same cmd subset as setup.cmd (see its header).
setlocal EnableExtensions DisableDelayedExpansion
set "NoDefaultCurrentDirectoryInExePath=1"

if not defined PROCESSOR_ARCHITEW6432 goto :native
if not exist "%SystemRoot%\Sysnative\cmd.exe" goto :native
"%SystemRoot%\Sysnative\cmd.exe" /c ""%~f0" %*"
exit /b
:native

set "STATE=%SystemDrive%\AeroGuestTools"
set "TMPOUT=%TEMP%\aero-guest-tools-uninstall.tmp"
set "LOGFILE="
set "FAILS=0"
set "REBOOT=0"
set "F_FORCE=0"
set "F_QUIET=0"
set "F_NOREBOOT=0"
set "F_CLEANUPSTORAGE=0"
set "DRYRUN=0"
set "BADARG="
set "HELP=0"
call :parse_args %*
if "%HELP%"=="1" goto :usage_ok
if defined BADARG goto :usage_bad
if "%F_QUIET%"=="1" set "F_FORCE=1"
if "%F_QUIET%"=="1" set "F_NOREBOOT=1"

call :detect_os
echo Aero Guest Tools uninstall
if "%DRYRUN%"=="1" call :say "Dry run: system-changing commands are printed, not run."

call fltmc >nul 2>&1
if "%ERRORLEVEL%"=="0" goto :admin_ok
if "%DRYRUN%"=="1" (
  call :say "WARNING: not running as Administrator; a real run would stop here with exit code 10."
  goto :admin_ok
)
call :say "ERROR: uninstall.cmd must run as Administrator (right-click, Run as administrator)."
exit /b 10
:admin_ok

if not exist "%STATE%\" (
  call :say "Nothing to remove: %STATE% does not exist (setup.cmd was not run here)."
  exit /b 0
)

if "%F_FORCE%"=="1" goto :confirmed
if "%DRYRUN%"=="1" goto :confirmed
call :ask "Remove the Aero Guest Tools drivers and settings recorded in %STATE%?"
if "%ANSWER%"=="1" goto :confirmed
call :say "Cancelled; nothing was changed."
exit /b 1
:confirmed
if "%F_CLEANUPSTORAGE%"=="0" goto :storage_confirmed
if not exist "%STATE%\storage-preseeded" goto :storage_confirmed
if "%F_FORCE%"=="1" goto :storage_confirmed
if "%DRYRUN%"=="1" goto :storage_confirmed
call :ask "/cleanupstorage: if Windows boots from the virtio disk it will no longer start. Continue?"
if "%ANSWER%"=="1" goto :storage_confirmed
set "F_CLEANUPSTORAGE=0"
call :say "Keeping the boot storage driver."
:storage_confirmed

if "%DRYRUN%"=="0" set "LOGFILE=%STATE%\uninstall.log"
if defined LOGFILE >>"%LOGFILE%" echo.
if defined LOGFILE >>"%LOGFILE%" echo.==== uninstall.cmd %* ==== %DATE% %TIME%

rem ---- driver packages ------------------------------------------------------------------
set "KEEP_FILE=%STATE%\installed-packages.keep"
if exist "%KEEP_FILE%" del /f /q "%KEEP_FILE%" >nul 2>&1
if exist "%STATE%\installed-packages.txt" (
  for /f "usebackq tokens=1,2,*" %%a in ("%STATE%\installed-packages.txt") do call :remove_package "%%a" "%%b" "%%c"
  call :replace_state "installed-packages.txt" "installed-packages.keep"
) else (
  call :say "No driver packages recorded."
)

rem ---- certificates -----------------------------------------------------------------------
set "KEEP_FILE=%STATE%\installed-certs.keep"
if exist "%KEEP_FILE%" del /f /q "%KEEP_FILE%" >nul 2>&1
if exist "%STATE%\installed-certs.txt" (
  for /f "usebackq tokens=1,2" %%a in ("%STATE%\installed-certs.txt") do call :remove_cert "%%a" "%%b"
  call :replace_state "installed-certs.txt" "installed-certs.keep"
)

rem ---- test signing -----------------------------------------------------------------------
if exist "%STATE%\testsigning-enabled-by-setup" (
  call :run bcdedit /set {current} testsigning off
  call :after_testsigning
)

rem ---- boot storage pre-seed --------------------------------------------------------------
if exist "%STATE%\storage-preseeded" (
  if "%F_CLEANUPSTORAGE%"=="1" (
    call :cleanup_storage
  ) else (
    call :say "Kept the boot storage pre-seed and its driver package (use /cleanupstorage to remove them)."
  )
)

call :say ""
if "%DRYRUN%"=="1" (
  call :say "Dry run finished; nothing was changed."
  goto :finish
)
if not "%FAILS%"=="0" (
  call :say "Uninstall finished with %FAILS% failed step(s); see %STATE%\uninstall.log."
) else (
  call :say "Uninstall finished."
)
if "%DRYRUN%"=="1" goto :finish
if "%REBOOT%"=="0" goto :finish
if "%F_NOREBOOT%"=="1" (
  call :say "Restart Windows to finish."
  goto :finish
)
if "%F_FORCE%"=="1" goto :do_reboot
call :ask "Restart Windows now?"
if not "%ANSWER%"=="1" goto :finish
:do_reboot
call :run shutdown /r /t 10 /c "Aero Guest Tools: restarting to finish removal"
:finish
if exist "%TMPOUT%" del /f /q "%TMPOUT%" >nul 2>&1
if not "%FAILS%"=="0" exit /b 1
exit /b 0

rem ==== steps ==============================================================================
:remove_package
set "OEM=%~1"
set "KIND=%~2"
set "SRC=%~3"
if /i "%KIND%"=="boot-storage" if "%F_CLEANUPSTORAGE%"=="0" (
  call :say "Keeping %OEM% (%SRC%): the boot storage driver; /cleanupstorage removes it."
  call :keep "installed-packages.keep" "%OEM% %KIND% %SRC%"
  goto :eof
)
if "%PNP_NEW%"=="1" (
  call :run pnputil /delete-driver "%OEM%" /uninstall /force
) else (
  call :run pnputil -f -d "%OEM%"
)
if "%RUN_RC%"=="3010" set "REBOOT=1"
if "%RUN_RC%"=="3010" set "RUN_RC=0"
if "%RUN_RC%"=="0" (
  call :say "Removed driver package %OEM% (%SRC%)."
  set "REBOOT=1"
  goto :eof
)
call :say "ERROR: pnputil could not remove %OEM% (%SRC%), exit code %RUN_RC%; it stays recorded."
call :keep "installed-packages.keep" "%OEM% %KIND% %SRC%"
set /a FAILS+=1
goto :eof

:remove_cert
call :run certutil -delstore %~1 %~2
if "%RUN_RC%"=="0" (
  call :say "Removed certificate %~2 from %~1."
  goto :eof
)
call :say "ERROR: certutil could not remove certificate %~2 from %~1; it stays recorded."
call :keep "installed-certs.keep" "%~1 %~2"
set /a FAILS+=1
goto :eof

:after_testsigning
if not "%RUN_RC%"=="0" (
  call :say "ERROR: bcdedit could not turn test signing off."
  set /a FAILS+=1
  goto :eof
)
call :say "Test signing turned off (setup.cmd had turned it on)."
set "REBOOT=1"
call :delete_state "testsigning-enabled-by-setup"
goto :eof

:cleanup_storage
set "CS_SVC="
set "CS_FAILS=%FAILS%"
for /f "usebackq tokens=1,* delims==" %%a in ("%STATE%\storage-preseeded") do (
  if /i "%%a"=="service" set "CS_SVC=%%b"
)
for /f "usebackq tokens=1,* delims==" %%a in ("%STATE%\storage-preseeded") do (
  if /i "%%a"=="cdd" call :cleanup_cdd "%%b"
  if /i "%%a"=="sys-copied" call :cleanup_sys "%%b"
)
for /f "usebackq tokens=1,* delims==" %%a in ("%STATE%\storage-preseeded") do (
  if /i "%%a"=="service-created" call :cleanup_service
)
if not "%FAILS%"=="%CS_FAILS%" goto :eof
call :say "Removed the boot storage pre-seed of %CS_SVC%."
call :delete_state "storage-preseeded"
set "REBOOT=1"
goto :eof

:cleanup_cdd
set "CDDKEY=HKLM\SYSTEM\CurrentControlSet\Control\CriticalDeviceDatabase\%~1"
call reg query "%CDDKEY%" >nul 2>&1
if not "%ERRORLEVEL%"=="0" goto :eof
call :run reg delete "%CDDKEY%" /f
if not "%RUN_RC%"=="0" (
  call :say "ERROR: could not delete %CDDKEY%."
  set /a FAILS+=1
)
goto :eof

:cleanup_sys
if not exist "%~1" goto :eof
call :run del /f /q "%~1"
if not "%RUN_RC%"=="0" (
  call :say "ERROR: could not delete %~1."
  set /a FAILS+=1
)
goto :eof

:cleanup_service
if not defined CS_SVC goto :eof
set "SVCKEY=HKLM\SYSTEM\CurrentControlSet\Services\%CS_SVC%"
call reg query "%SVCKEY%" >nul 2>&1
if not "%ERRORLEVEL%"=="0" goto :eof
call :run reg delete "%SVCKEY%" /f
if not "%RUN_RC%"=="0" (
  call :say "ERROR: could not delete %SVCKEY%."
  set /a FAILS+=1
)
goto :eof

rem ==== helpers ============================================================================
:keep
if "%DRYRUN%"=="1" goto :eof
set "REC_LINE=%~2"
setlocal EnableDelayedExpansion
>>"%STATE%\%~1" echo.!REC_LINE!
endlocal
goto :eof

:replace_state
rem Whatever could not be removed stays recorded; the rest of the record goes.
if "%DRYRUN%"=="1" goto :eof
if exist "%STATE%\%~2" (
  copy /y "%STATE%\%~2" "%STATE%\%~1" >nul
  del /f /q "%STATE%\%~2" >nul 2>&1
) else (
  del /f /q "%STATE%\%~1" >nul 2>&1
)
goto :eof

:delete_state
if "%DRYRUN%"=="1" goto :eof
del /f /q "%STATE%\%~1" >nul 2>&1
goto :eof

:run
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
goto :eof

:say
set "SAY_MSG=%~1"
setlocal EnableDelayedExpansion
echo.!SAY_MSG!
if defined LOGFILE >>"!LOGFILE!" echo.!SAY_MSG!
endlocal
goto :eof

:ask
set "ANSWER=0"
set "REPLY="
set /p "REPLY=%~1 [y/N] "
if /i "%REPLY:~0,1%"=="y" set "ANSWER=1"
goto :eof

:detect_os
set "OS_VER="
for /f "delims=" %%v in ('ver') do set "OS_LINE=%%v"
set "OS_LINE=%OS_LINE:[= %"
set "OS_LINE=%OS_LINE:]= %"
for %%t in (%OS_LINE%) do set "OS_VER=%%t"
set "OS_MAJOR=0"
for /f "tokens=1 delims=." %%a in ("%OS_VER%") do set "OS_MAJOR=%%a"
set "PNP_NEW=0"
if %OS_MAJOR% GEQ 10 set "PNP_NEW=1"
goto :eof

:parse_args
if "%~1"=="" goto :eof
set "ARG=%~1"
if "%ARG:~0,1%"=="-" set "ARG=/%ARG:~1%"
if /i "%ARG%"=="/force" (set "F_FORCE=1" & goto :parse_next)
if /i "%ARG%"=="/quiet" (set "F_QUIET=1" & goto :parse_next)
if /i "%ARG%"=="/noreboot" (set "F_NOREBOOT=1" & goto :parse_next)
if /i "%ARG%"=="/cleanupstorage" (set "F_CLEANUPSTORAGE=1" & goto :parse_next)
if /i "%ARG%"=="/dryrun" (set "DRYRUN=1" & goto :parse_next)
if /i "%ARG%"=="/?" (set "HELP=1" & goto :parse_next)
if /i "%ARG%"=="/h" (set "HELP=1" & goto :parse_next)
if /i "%ARG%"=="/help" (set "HELP=1" & goto :parse_next)
if not defined BADARG set "BADARG=%ARG%"
:parse_next
shift
goto :parse_args

:usage_bad
echo uninstall.cmd: unknown option %BADARG%
call :usage
exit /b 2
:usage_ok
call :usage
exit /b 0
:usage
echo.
echo Usage: uninstall.cmd [options]   (run as Administrator)
echo.
echo   /force           no prompts
echo   /quiet           /force and /noreboot
echo   /noreboot        never restart Windows
echo   /cleanupstorage  also remove the boot storage pre-seed and storage driver package
echo                    (do this only after the VM's disk is no longer virtio)
echo   /dryrun          print every system-changing command instead of running it
echo.
echo Exit codes: 0 done, 1 a step failed or cancelled, 2 bad option, 10 not Administrator.
goto :eof
